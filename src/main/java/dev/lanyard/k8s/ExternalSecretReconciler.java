package dev.lanyard.k8s;

import dev.lanyard.k8s.BackendValues.Fetched;
import dev.lanyard.k8s.ExternalSecretSpec.CreationPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.NotFoundPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.RefreshPolicy;
import dev.lanyard.k8s.ExternalSecretStatus.Condition;
import dev.lanyard.secret.SecretRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Keeps each ExternalSecret's Secret equal to the backend values it names. One reconcile: read the values through
 * the broker as the resource's identity, compare the HMAC of what the Secret holds with what it should hold, write
 * (server-side apply) only when they differ, restart the workloads only when the data changed, and write status.
 * Every failure ends in status and an Event with a safe message and a jittered backoff; nothing a resource holds
 * can crash the controller or hold up another resource.
 */
@ControllerConfiguration(name = ExternalSecretReconciler.NAME, fieldManager = "lanyard")
final class ExternalSecretReconciler implements Reconciler<ExternalSecret> {

    private static final Logger LOG = Logger.getLogger(ExternalSecretReconciler.class);
    static final String NAME = "externalsecrets";
    private static final String REFERENCES = "references";
    private static final String RESTARTS = "restart-targets";
    private static final double PERIODIC_JITTER = 0.1;

    private final LeaderTerm term;
    private final BackendValues values;
    private final RemovalGuard guard;
    private final TargetSecrets secrets;
    private final RolloutRestarts restarts;
    private final SyncEvents events;
    private final SyncMetrics metrics;
    private final DataHmac hmac;
    private final SyncConfig config;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final SimpleInboundEventSource<ExternalSecret> refreshes = new SimpleInboundEventSource<>("refreshes");
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    /** When a change through Lanyard to a secret (by {@code backend/path}) was first seen and not yet synced. */
    private final Map<String, Instant> changedAt = new ConcurrentHashMap<>();
    private volatile IndexerResourceCache<ExternalSecret> primaries;

    /**
     * @param term the leader term this reconciler works in: once it ends, reconciles still running write nothing more
     *             (the Secret writes, Events and restarts ask it too) and no status is patched
     */
    ExternalSecretReconciler(BackendValues values, RemovalGuard guard, TargetSecrets secrets, RolloutRestarts restarts,
                             SyncEvents events, SyncMetrics metrics, DataHmac hmac, SyncConfig config, InstantSource clock,
                             RandomGenerator random, LeaderTerm term) {
        this.term = term;
        this.values = values;
        this.guard = guard;
        this.secrets = secrets;
        this.restarts = restarts;
        this.events = events;
        this.metrics = metrics;
        this.hmac = hmac;
        this.config = config;
        this.clock = clock;
        this.random = random;
    }

    @Override
    public List<EventSource<?, ExternalSecret>> prepareEventSources(EventSourceContext<ExternalSecret> context) {
        context.getPrimaryCache().addIndexer(REFERENCES, resource -> resource.getSpec() == null
                ? List.of() : List.copyOf(BackendValues.references(resource.getSpec())));
        context.getPrimaryCache().addIndexer(RESTARTS, resource -> resource.getSpec() == null ? List.of()
                : resource.getSpec().restartTargets().stream()
                        .map(target -> workload(new RolloutRestarts.Workload(resource.getMetadata().getNamespace(), target.kind(), target.name())))
                        .toList());
        primaries = context.getPrimaryCache();
        // Secrets Lanyard owns: a hand edit (its data no longer matches the HMAC Lanyard wrote beside it) or a deletion
        // brings the owning resource back at once. Lanyard's own writes match and are ignored.
        InformerEventSourceConfiguration<Secret> owned = InformerEventSourceConfiguration.from(Secret.class, ExternalSecret.class)
                .withName("owned-secrets")
                .withLabelSelector(TargetSecrets.MANAGED_BY + "=" + TargetSecrets.LANYARD)
                .withSecondaryToPrimaryMapper(secret -> {
                    Map<String, String> annotations = secret.getMetadata().getAnnotations();
                    String owner = annotations == null ? null : annotations.get(TargetSecrets.OWNER);
                    return owner == null ? Set.of() : Set.of(new ResourceID(owner, secret.getMetadata().getNamespace()));
                })
                .withOnAddFilter(this::drifted)
                .withOnUpdateFilter((updated, old) -> drifted(updated))
                .build();
        return List.of(new InformerEventSource<>(owned, context), refreshes);
    }

    private boolean drifted(Secret secret) {
        Map<String, String> annotations = secret.getMetadata().getAnnotations();
        String written = annotations == null ? null : annotations.get(TargetSecrets.DATA_HMAC);
        return written == null || !written.equals(hmac.of(TargetSecrets.data(secret, null)));
    }

    /**
     * A secret changed through Lanyard: every resource that reads it reconciles now. Called from the broker's
     * announcement, possibly on an event loop, so it only queues.
     *
     * @return how many resources were queued (none on a replica that is not the leader)
     */
    int refresh(String secret, Instant at) {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        if (cache == null || !refreshes.isRunning()) {
            return 0;
        }
        changedAt.merge(secret, at, (earlier, later) -> earlier.isBefore(later) ? earlier : later);
        List<ExternalSecret> affected = cache.byIndex(REFERENCES, secret);
        affected.forEach(resource -> {
            restarts.queued(resource.key());
            refreshes.propagateEvent(ResourceID.fromResource(resource));
        });
        return affected.size();
    }

    /** Changes may have been missed: every resource reconciles now. */
    int refreshAll() {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        if (cache == null || !refreshes.isRunning()) {
            return 0;
        }
        List<ExternalSecret> all = cache.list().toList();
        all.forEach(resource -> refreshes.propagateEvent(ResourceID.fromResource(resource)));
        return all.size();
    }

    /**
     * The outcome of one reconcile: the status to write, and when to come back.
     *
     * @param retrying {@code next} is a backoff that grows while the outcome repeats
     * @param acted    something was done worth an Event even when the reason is unchanged (values removed)
     */
    private record Outcome(Reason reason, String message, ExternalSecretStatus status, Duration next, boolean retrying,
                           boolean acted) {
        Outcome(Reason reason, String message, ExternalSecretStatus status, Duration next) {
            this(reason, message, status, next, false, false);
        }
    }

    @Override
    public UpdateControl<ExternalSecret> reconcile(ExternalSecret resource, Context<ExternalSecret> context) {
        if (!term.holds()) {
            return UpdateControl.noUpdate();
        }
        long started = System.nanoTime();
        Outcome outcome;
        try {
            outcome = sync(resource, context.getSecondaryResource(Secret.class));
            if (!outcome.retrying()) {
                failures.remove(resource.key());
            }
        } catch (LeaderTerm.Deposed deposed) {
            LOG.debugf("reconcile of ExternalSecret %s stopped: %s", resource.key(), deposed.getMessage());
            return UpdateControl.noUpdate();
        } catch (SyncFailure failure) {
            outcome = failed(resource, failure.reason(), failure.getMessage());
        } catch (KubernetesClientException e) {
            outcome = failed(resource, Reason.SyncFailed, "the API server answered " + e.getCode() + " while writing Secret " + resource.secretName());
        } catch (RuntimeException e) {
            LOG.errorf("reconcile of ExternalSecret %s failed unexpectedly: %s", resource.key(), e.getClass().getName());
            outcome = failed(resource, Reason.SyncFailed, "unexpected controller error; see the controller log");
        }
        restarts.reconciled(resource.key());
        metrics.reconciled(outcome.reason(), Duration.ofNanos(System.nanoTime() - started));
        ExternalSecretStatus previous = resource.getStatus();
        // An Event when something happened: a new reason (but not a first, uneventful sync), a drift undone, data removed.
        boolean firstSync = (previous == null || previous.reason() == null) && outcome.reason() == Reason.Synced;
        if (!firstSync && (previous == null || !Objects.equals(previous.reason(), outcome.reason().name())
                || outcome.reason() == Reason.DriftReverted || outcome.acted())) {
            events.record(resource, outcome.reason(), outcome.message());
        }
        metrics.state(resource.key(), outcome.reason(),
                outcome.status().syncedAt() == null ? null : Instant.parse(outcome.status().syncedAt()), interval(resource.getSpec()));
        ExternalSecret patch = new ExternalSecret();
        patch.setMetadata(new ObjectMetaBuilder().withName(resource.getMetadata().getName())
                .withNamespace(resource.getMetadata().getNamespace()).build());
        patch.setStatus(outcome.status());
        if (!term.holds()) {
            return UpdateControl.noUpdate();
        }
        UpdateControl<ExternalSecret> control = UpdateControl.patchStatus(patch);
        return outcome.next() == null ? control : control.rescheduleAfter(outcome.next());
    }

    /** @param cached the Secret as the informer of owned Secrets last saw it, if it is one */
    private Outcome sync(ExternalSecret resource, Optional<Secret> cached) {
        ExternalSecretSpec spec = resource.getSpec();
        ExternalSecretStatus previous = resource.getStatus();
        CreationPolicy policy = spec.creation();
        // Only a Secret Lanyard owns is in the cache; for any other (a foreign one, a Merge target) ask the API server.
        Secret existing = policy == CreationPolicy.None ? null : cached
                .filter(secret -> secret.getMetadata().getName().equals(resource.secretName()) && TargetSecrets.ownedBy(secret, resource))
                .orElseGet(() -> secrets.current(resource));
        if (existing != null && policy == CreationPolicy.Owner && !TargetSecrets.ownedBy(existing, resource)) {
            throw new SyncFailure(Reason.NotOwned, "Secret " + resource.secretName() + " exists and Lanyard does not own it;"
                    + " it was left untouched (creationPolicy Merge writes only Lanyard's keys into it)");
        }
        if (existing == null && policy == CreationPolicy.Merge) {
            throw new SyncFailure(Reason.TargetNotFound, "Secret " + resource.secretName()
                    + " does not exist; creationPolicy Merge writes only into an existing Secret");
        }
        if (spec.refresh() == RefreshPolicy.CreatedOnce && existing != null && previous != null && previous.dataHmac() != null) {
            return new Outcome(Reason.Synced, "created once; not refreshed", withCondition(resource, previous, Reason.Synced,
                    "created once; not refreshed"), null);
        }

        Fetched fetched = values.fetch(resource);
        int notFound = 0;
        Reason reason = Reason.Synced;
        String message = "Secret " + resource.secretName() + " holds the current values";
        if (!fetched.missingKeys().isEmpty()) {
            notFound = (previous == null || previous.notFoundRefreshes() == null ? 0 : previous.notFoundRefreshes()) + 1;
            if (notFound < config.notFoundConfirmations()) {
                String pending = "a backend answered not found (" + notFound + " of " + config.notFoundConfirmations()
                        + " consecutive refreshes); the Secret keeps its data until that is confirmed";
                ExternalSecretStatus status = status(resource, previous, Reason.NotFoundPending, pending,
                        previous == null ? null : previous.dataHmac(), previous == null ? null : previous.syncedVersions(),
                        previous == null ? null : previous.syncedAt(), notFound);
                return new Outcome(Reason.NotFoundPending, pending, status, config.notFoundRecheck());
            }
            String confirmed = "a backend answered not found on " + notFound + " consecutive refreshes";
            if (spec.notFound() == NotFoundPolicy.Retain) {
                String kept = confirmed + "; Secret " + resource.secretName() + " keeps all its data (notFoundPolicy Retain)";
                return unchanged(resource, previous, Reason.NotFoundRetained, kept, notFound);
            }
            RemovalGuard.Decision decision = guard.mayRemove(fetched.missingRefs(), knownSecrets());
            if (!decision.allowed()) {
                requestEvidence(resource, fetched.missingRefs());
                return unchanged(resource, previous, Reason.RemovalRefused, confirmed + ", but " + decision.message(), notFound);
            }
            reason = Reason.NotFoundConfirmed;
            if (spec.notFound() == NotFoundPolicy.Delete && policy == CreationPolicy.Owner
                    && fetched.missingRefs().containsAll(fetched.refs())) {
                message = confirmed + " for every secret it reads; Secret " + resource.secretName() + " was deleted (notFoundPolicy Delete)";
                if (existing != null) {
                    secrets.delete(resource);
                }
                ExternalSecretStatus status = status(resource, previous, reason, message, null, List.of(), null, notFound);
                return new Outcome(reason, message, status, periodic(spec), false, existing != null);
            }
            message = confirmed + "; those values were removed from Secret " + resource.secretName();
        }

        String desired = hmac.of(fetched.data());
        String before = previous == null ? null : previous.dataHmac();
        if (policy != CreationPolicy.None) {
            Set<String> compared = policy == CreationPolicy.Owner ? null : fetched.data().keySet();
            String actual = existing == null ? null : hmac.of(TargetSecrets.data(existing, compared));
            boolean specChanged = previous == null || !Objects.equals(previous.observedGeneration(), resource.getMetadata().getGeneration());
            if (existing == null || !desired.equals(actual) || specChanged) {
                if (existing != null && desired.equals(before) && !desired.equals(actual)) {
                    reason = Reason.DriftReverted;
                    message = "Secret " + resource.secretName() + " was changed by hand; Lanyard's values were written back";
                }
                secrets.apply(resource, existing, fetched.data(), desired);
                propagated(fetched, before, desired);
            }
        }
        if (before != null && !before.equals(desired)) {
            restarts.request(resource, desired);
        }
        String syncedAt = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
        ExternalSecretStatus status = status(resource, previous, reason, message, desired, fetched.versions(), syncedAt, notFound);
        boolean removed = reason == Reason.NotFoundConfirmed && !desired.equals(before);
        return new Outcome(reason, message, status, periodic(spec), false, removed);
    }

    /** Nothing written: the Secret keeps what it holds, the status says why, and the resource comes back with backoff. */
    private Outcome unchanged(ExternalSecret resource, ExternalSecretStatus previous, Reason reason, String message, int notFound) {
        ExternalSecretStatus status = status(resource, previous, reason, message,
                previous == null ? null : previous.dataHmac(), previous == null ? null : previous.syncedVersions(),
                previous == null ? null : previous.syncedAt(), notFound);
        return new Outcome(reason, message, status, backoff(resource), true, false);
    }

    /** Every secret the resources this controller sees read. */
    private Set<SecretRef> knownSecrets() {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        return cache == null ? Set.of() : cache.list().filter(resource -> resource.getSpec() != null)
                .flatMap(resource -> BackendValues.secrets(resource.getSpec()).stream()).collect(Collectors.toSet());
    }

    /**
     * A removal waits for evidence that the backend still serves other secrets: refresh a few other resources that read
     * from it. Their reads come from the broker's cache while it is fresh, so the evidence comes at the latest once the
     * cache window ({@code lanyard.broker.static-ttl}) has passed.
     */
    private void requestEvidence(ExternalSecret resource, Set<SecretRef> missing) {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        if (cache == null || !refreshes.isRunning()) {
            return;
        }
        Set<String> backends = missing.stream().map(SecretRef::backend).collect(Collectors.toSet());
        List<ExternalSecret> others = new ArrayList<>(cache.list()
                .filter(other -> !other.key().equals(resource.key()) && other.getSpec() != null)
                .filter(other -> BackendValues.secrets(other.getSpec()).stream()
                        .anyMatch(ref -> backends.contains(ref.backend()) && !missing.contains(ref)))
                .toList());
        Collections.shuffle(others, random);
        others.stream().limit(RemovalGuard.EVIDENCE_REFRESHES).forEach(other -> refreshes.propagateEvent(ResourceID.fromResource(other)));
    }

    /** The Secret now holds data that a change through Lanyard made: record how long that took. */
    private void propagated(Fetched fetched, String before, String desired) {
        if (before == null || before.equals(desired)) {
            return;
        }
        Instant now = clock.instant();
        for (var ref : fetched.refs()) {
            Instant at = changedAt.get(ref.toString());
            if (at != null) {
                metrics.propagated(Duration.between(at, now));
            }
        }
        changedAt.values().removeIf(at -> at.isBefore(now.minusSeconds(60)));
    }

    /** The declared refresh interval of a Periodic resource; {@code null} for the other policies. */
    private static Duration interval(ExternalSecretSpec spec) {
        return spec == null || spec.refresh() != RefreshPolicy.Periodic || spec.refreshInterval() == null
                ? null : GoDuration.parse(spec.refreshInterval());
    }

    private Duration periodic(ExternalSecretSpec spec) {
        Duration interval = interval(spec);
        if (interval == null) {
            return null;
        }
        // up to a tenth earlier, so resources created together spread out instead of refreshing together forever
        return Duration.ofMillis((long) (interval.toMillis() * (1 - PERIODIC_JITTER * random.nextDouble())));
    }

    /** The next attempt after another consecutive failure: doubled each time up to the maximum, half of it at random. */
    private Duration backoff(ExternalSecret resource) {
        int attempt = failures.merge(resource.key(), 1, Integer::sum);
        long ceiling = Math.min(config.backoffMax().toMillis(), config.backoffMin().toMillis() << Math.min(attempt - 1, 20));
        // half fixed, half random: retries of many resources failing together spread out
        return Duration.ofMillis(ceiling / 2 + (long) (random.nextDouble() * ceiling / 2));
    }

    private Outcome failed(ExternalSecret resource, Reason reason, String message) {
        Duration next = backoff(resource);
        ExternalSecretStatus previous = resource.getStatus();
        ExternalSecretStatus status = status(resource, previous, reason, message,
                previous == null ? null : previous.dataHmac(), previous == null ? null : previous.syncedVersions(),
                previous == null ? null : previous.syncedAt(), previous == null ? null : previous.notFoundRefreshes());
        LOG.debugf("ExternalSecret %s: %s (%s), next attempt in %s", resource.key(), reason, message, next);
        return new Outcome(reason, message, status, next);
    }

    private ExternalSecretStatus status(ExternalSecret resource, ExternalSecretStatus previous, Reason reason, String message,
                                        String dataHmac, List<ExternalSecretStatus.SyncedVersion> versions, String syncedAt,
                                        Integer notFound) {
        return new ExternalSecretStatus(resource.getMetadata().getGeneration(), resource.secretName(), syncedAt, dataHmac,
                notFound, versions, List.of(condition(resource, previous, reason, message)));
    }

    private ExternalSecretStatus withCondition(ExternalSecret resource, ExternalSecretStatus previous, Reason reason, String message) {
        return new ExternalSecretStatus(resource.getMetadata().getGeneration(), resource.secretName(), previous.syncedAt(),
                previous.dataHmac(), previous.notFoundRefreshes(), previous.syncedVersions(),
                List.of(condition(resource, previous, reason, message)));
    }

    private Condition condition(ExternalSecret resource, ExternalSecretStatus previous, Reason reason, String message) {
        String status = reason.ready() ? "True" : "False";
        Condition before = previous == null ? null : previous.ready();
        String transition = before != null && status.equals(before.status()) && before.lastTransitionTime() != null
                ? before.lastTransitionTime()
                : DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
        String safe = message.length() > 1024 ? message.substring(0, 1024) : message;
        return new Condition("Ready", status, reason.name(), safe, transition, resource.getMetadata().getGeneration());
    }

    /** Resources whose requested restart failed: reported as an Event, the Secret itself is synced. */
    void restartFailed(String resourceKey, String message) {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        if (cache == null) {
            return;
        }
        int slash = resourceKey.indexOf('/');
        cache.get(new ResourceID(resourceKey.substring(slash + 1), resourceKey.substring(0, slash)))
                .ifPresent(resource -> events.record(resource, Reason.RolloutRestartFailed, message));
    }

    /** The resources that restart the workload, by key. */
    List<String> restartedBy(RolloutRestarts.Workload target) {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        return cache == null ? List.of() : cache.byIndex(RESTARTS, workload(target)).stream().map(ExternalSecret::key).toList();
    }

    private static String workload(RolloutRestarts.Workload target) {
        return target.namespace() + "/" + target.kind() + "/" + target.name();
    }

    /** Every resource the controller sees, by key. */
    Set<String> keys() {
        IndexerResourceCache<ExternalSecret> cache = primaries;
        return cache == null ? Set.of() : cache.list().map(ExternalSecret::key).collect(Collectors.toSet());
    }
}
