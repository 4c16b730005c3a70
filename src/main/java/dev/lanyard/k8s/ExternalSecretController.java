package dev.lanyard.k8s;

import dev.lanyard.broker.Broker;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.support.SecretReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.jboss.logging.Logger;

/**
 * Runs the ExternalSecret controller when {@code lanyard.k8s.enabled}: Java Operator SDK on the Quarkus Kubernetes
 * client, with leader election through a coordination Lease so one replica reconciles at a time; and turns the
 * broker's change announcements (a write, a rotation, a revoked lease, here or relayed from another replica) into
 * immediate refreshes of every resource reading that secret.
 *
 * <p>Plain JOSDK rather than quarkus-operator-sdk: that extension is built for another Quarkus release (3.33), starts
 * its operator at boot unless told not to, and generates CRDs and Helm charts at build time, while Lanyard installs
 * its hand-written CRD from k8s-external-secrets/ and must boot without a cluster. Here the operator exists only when
 * enabled, on the client quarkus-kubernetes-client configures.
 *
 * <p>Leadership is Lanyard's own ({@link ControllerLeadership}), not JOSDK's: JOSDK's elector campaigns once and, on
 * losing the Lease, can only exit the process, which took the secrets API down with the controller. Here each
 * {@link LeaderTerm} gets an operator of its own, started when the term starts and stopped when it ends; the replica
 * then campaigns again and keeps serving. Followers run no informers: a new leader lists the resources when it takes
 * over, and reconciles them all.
 */
@ApplicationScoped
class ExternalSecretController implements ControllerLeadership.Listener {

    private static final Logger LOG = Logger.getLogger(ExternalSecretController.class);
    /** How long a stopping operator may take (informers, reconciles in flight) before shutdown goes on without it. */
    private static final Duration STOP_WAIT = Duration.ofSeconds(5);

    private final SyncConfig config;
    private final Instance<KubernetesClient> clients;
    private final Broker broker;
    private final MeterRegistry meters;
    private final InstantSource clock;
    private final RandomGenerator random;
    private KubernetesClient client;
    private String identity;
    private DataHmac hmac;
    private SyncMetrics metrics;
    private RemovalGuard guard;
    private ControllerLeadership leadership;
    /** The operator and reconciler of the term this replica leads, if any. */
    private volatile Leading leading;
    private ScheduledExecutorService timer;

    private record Leading(LeaderTerm term, Operator operator, ExternalSecretReconciler reconciler) {}

    ExternalSecretController(SyncConfig config, Instance<KubernetesClient> clients, Broker broker, MeterRegistry meters,
                             InstantSource clock, RandomGenerator random) {
        this.config = config;
        this.clients = clients;
        this.broker = broker;
        this.meters = meters;
        this.clock = clock;
        this.random = random;
    }

    void start(@Observes StartupEvent started) {
        if (!config.enabled()) {
            return;
        }
        String key = config.hmacKey().orElseThrow(() -> new IllegalStateException(
                "lanyard.k8s.hmac-key must reference a base64 key of at least 32 bytes when lanyard.k8s.enabled is true"));
        try {
            hmac = new DataHmac(Base64.getDecoder().decode(SecretReference.parse(key).resolve()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("lanyard.k8s.hmac-key must reference a base64 key of at least 32 bytes: " + e.getMessage());
        }
        client = clients.get();
        identity = config.leaderElection().identity().orElseGet(ExternalSecretController::defaultIdentity);
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lanyard-k8s-timer");
            thread.setDaemon(true);
            return thread;
        });
        metrics = new SyncMetrics(meters, clock);
        guard = new RemovalGuard(config.backendWideRemoval().orElse(Set.of()), clock);
        Gauge.builder("lanyard.sync.leader", this, controller -> controller.leads() ? 1 : 0)
                .description("1 while this replica leads the ExternalSecret controller and reconciles").register(meters);
        timer.scheduleWithFixedDelay(() -> {
            Leading current = leading;
            metrics.refresh(current == null ? Set.of() : current.reconciler().keys());
        }, 10, 10, TimeUnit.SECONDS);
        if (config.leaderElection().enabled()) {
            leadership = new ControllerLeadership(client, config.leaderElection(),
                    config.leaderElection().leaseNamespace().orElse(client.getNamespace()), identity, this, System::nanoTime);
            leadership.start();
        } else {
            lead(LeaderTerm.uncontested());
        }
        LOG.infof("ExternalSecret controller started as %s (leader election %s)", identity,
                config.leaderElection().enabled() ? "on, Lease " + config.leaderElection().leaseName() : "off");
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (leadership != null) {
            leadership.close();
        }
        Leading last = leading;
        leading = null;
        if (last != null) {
            last.term().end();
            stopBounded(last.operator());
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private boolean leads() {
        Leading current = leading;
        return current != null && current.term().holds();
    }

    /** A term started: a fresh operator and reconciler for it, so nothing of an earlier term reconciles in it. */
    @Override
    public void elected(LeaderTerm term) {
        lead(term);
    }

    private void lead(LeaderTerm term) {
        SyncEvents events = new SyncEvents(client, clock, identity, term);
        ExternalSecretReconciler[] self = new ExternalSecretReconciler[1];
        RolloutRestarts restarts = new RolloutRestarts(client, timer, config.restartQuietPeriod(), term,
                workload -> self[0].restartedBy(workload), (resource, message) -> self[0].restartFailed(resource, message));
        ExternalSecretReconciler reconciler = new ExternalSecretReconciler(
                new BackendValues(broker, new ReadPacer(config.readsPerSecondPerBackend()), guard), guard,
                new TargetSecrets(client, term), restarts, events, metrics, hmac, config, clock, random, term);
        self[0] = reconciler;
        Operator operator = new Operator(overrider -> overrider.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .withConcurrentReconciliationThreads(config.reconcileThreads())
                .withStopOnInformerErrorDuringStartup(true)
                .withCacheSyncTimeout(config.leaderElection().leaseDuration().multipliedBy(4)));
        operator.register(reconciler, controller -> config.namespaces().ifPresent(controller::settingNamespaces));
        long begun = System.nanoTime();
        try {
            operator.start();
        } catch (RuntimeException e) {
            stopBounded(operator);
            if (leadership == null) {
                // no election to try again: fail the start-up, as a misconfigured controller always did
                throw e;
            }
            LOG.errorf("the ExternalSecret controller could not start in %s (%s: %s); it campaigns again", term,
                    e.getClass().getSimpleName(), e.getMessage());
            leadership.resign(term, "the controller could not start");
            return;
        }
        if (!term.holds()) {
            // deposed while the informers were filling
            stopBounded(operator);
            return;
        }
        leading = new Leading(term, operator, reconciler);
        LOG.infof("ExternalSecret controller reconciling in %s, %d ms after the election", term,
                Duration.ofNanos(System.nanoTime() - begun).toMillis());
    }

    /**
     * A term ended: nothing of it writes any more (every write asks the term), and its operator is stopped without
     * waiting for the API server, which may be what is unreachable.
     */
    @Override
    public void deposed(LeaderTerm term, String why) {
        Leading current = leading;
        if (current == null || current.term() != term) {
            return;
        }
        leading = null;
        LOG.warnf("ExternalSecret controller stopped reconciling (%s ended: %s)", term, why);
        Thread.ofPlatform().daemon().name("lanyard-k8s-stop-" + term.number()).start(() -> stopQuietly(current.operator()));
    }

    /** Stops an operator, waiting at most {@link #STOP_WAIT}: its informers and reconciles may hang on the API server. */
    private static void stopBounded(Operator operator) {
        Thread stopping = Thread.ofPlatform().daemon().name("lanyard-k8s-stop").start(() -> stopQuietly(operator));
        try {
            if (!stopping.join(STOP_WAIT)) {
                LOG.warnf("the ExternalSecret controller did not stop within %d s; going on without it", STOP_WAIT.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopQuietly(Operator operator) {
        try {
            operator.stop();
        } catch (RuntimeException e) {
            LOG.debugf("stopping the ExternalSecret controller: %s", e.getClass().getSimpleName());
        }
    }

    /** Synchronous observer, possibly on an event loop: the reconciler only queues. */
    void changed(@Observes SecretChanged change) {
        Leading current = leading;
        if (current != null) {
            int queued = current.reconciler().refresh(change.ref().toString(), change.at());
            LOG.debugf("%s of %s: %d ExternalSecrets queued", change.cause(), change.ref(), queued);
        }
    }

    void missed(@Observes ChangesMissed missed) {
        Leading current = leading;
        if (current != null) {
            current.reconciler().refreshAll();
        }
    }

    private static String defaultIdentity() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "lanyard";
        }
        byte[] suffix = new byte[4];
        new SecureRandom().nextBytes(suffix);
        return host + "-" + HexFormat.of().formatHex(suffix);
    }
}
