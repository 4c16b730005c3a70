package dev.lanyard.k8s;

import dev.lanyard.broker.Broker;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.support.SecretReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
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
 */
@ApplicationScoped
class ExternalSecretController {

    private static final Logger LOG = Logger.getLogger(ExternalSecretController.class);

    private final SyncConfig config;
    private final Instance<KubernetesClient> clients;
    private final Broker broker;
    private final MeterRegistry meters;
    private final InstantSource clock;
    private final RandomGenerator random;
    private volatile Operator operator;
    private volatile ExternalSecretReconciler reconciler;
    private ScheduledExecutorService timer;

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
        DataHmac hmac;
        try {
            hmac = new DataHmac(Base64.getDecoder().decode(SecretReference.parse(key).resolve()));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("lanyard.k8s.hmac-key must reference a base64 key of at least 32 bytes: " + e.getMessage());
        }
        KubernetesClient client = clients.get();
        String identity = config.leaderElection().identity().orElseGet(ExternalSecretController::defaultIdentity);
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lanyard-k8s-timer");
            thread.setDaemon(true);
            return thread;
        });
        SyncMetrics metrics = new SyncMetrics(meters, clock);
        SyncEvents events = new SyncEvents(client, clock, identity);
        ExternalSecretReconciler[] self = new ExternalSecretReconciler[1];
        RolloutRestarts restarts = new RolloutRestarts(client, timer, config.restartQuietPeriod(),
                workload -> self[0].restartedBy(workload), (resource, message) -> self[0].restartFailed(resource, message));
        RemovalGuard guard = new RemovalGuard(config.backendWideRemoval().orElse(Set.of()), clock);
        reconciler = new ExternalSecretReconciler(new BackendValues(broker, new ReadPacer(config.readsPerSecondPerBackend()), guard),
                guard, new TargetSecrets(client), restarts, events, metrics, hmac, config, clock, random);
        self[0] = reconciler;

        Operator created = new Operator(overrider -> {
            overrider.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withConcurrentReconciliationThreads(config.reconcileThreads())
                    .withStopOnInformerErrorDuringStartup(true);
            if (config.leaderElection().enabled()) {
                overrider.withLeaderElectionConfiguration(new LeaderElectionConfiguration(
                        config.leaderElection().leaseName(),
                        config.leaderElection().leaseNamespace().orElse(client.getNamespace()),
                        config.leaderElection().leaseDuration(), config.leaderElection().renewDeadline(),
                        config.leaderElection().retryPeriod(), identity,
                        new LeaderCallbacks(() -> LOG.infof("%s leads the ExternalSecret controller", identity),
                                this::leadershipLost, leader -> LOG.debugf("ExternalSecret controller leader: %s", leader)),
                        // JOSDK's exit would also fire on a clean shutdown, and skip Quarkus's own shutdown
                        false));
            }
        });
        created.register(reconciler, controller -> config.namespaces().ifPresent(controller::settingNamespaces));
        created.start();
        operator = created;
        timer.scheduleWithFixedDelay(() -> metrics.refresh(reconciler.keys()), 10, 10, TimeUnit.SECONDS);
        LOG.infof("ExternalSecret controller started as %s (leader election %s)", identity,
                config.leaderElection().enabled() ? "on" : "off");
    }

    void stop(@Observes ShutdownEvent stopping) {
        Operator running = operator;
        operator = null;
        if (running != null) {
            running.stop();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /**
     * A leader that lost its Lease (it could not renew in time) must not keep reconciling beside the new leader, and
     * JOSDK does not campaign again: the process exits, through Quarkus's shutdown, and its restart joins as a follower.
     */
    private void leadershipLost() {
        if (operator != null) {
            LOG.error("lost the ExternalSecret controller's Lease; exiting so that a restart rejoins the election");
            Quarkus.asyncExit(1);
        }
    }

    /** Synchronous observer, possibly on an event loop: the reconciler only queues. */
    void changed(@Observes SecretChanged change) {
        ExternalSecretReconciler current = reconciler;
        if (current != null) {
            int queued = current.refresh(change.ref().toString(), change.at());
            LOG.debugf("%s of %s: %d ExternalSecrets queued", change.cause(), change.ref(), queued);
        }
    }

    void missed(@Observes ChangesMissed missed) {
        ExternalSecretReconciler current = reconciler;
        if (current != null) {
            current.refreshAll();
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
