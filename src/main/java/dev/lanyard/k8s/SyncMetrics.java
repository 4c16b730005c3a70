package dev.lanyard.k8s;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * The controller's meters. Resource names appear only in {@code lanyard.k8s.data.age}; values never appear anywhere.
 * <ul>
 * <li>{@code lanyard.sync.reconciles} (timer, by reason): how each reconcile ended and how long it took;</li>
 * <li>{@code lanyard.sync.propagation} (timer with fixed buckets): from a change through Lanyard to the Secret holding
 * it — what the alert LanyardSyncPropagationSlow reads;</li>
 * <li>{@code lanyard.sync.data.age} (gauge, by namespace and name, seconds): since each Secret last matched the backend,
 * beside {@code lanyard.sync.refresh.interval} (same labels, Periodic resources only) for LanyardSecretDataStale;</li>
 * <li>{@code lanyard.sync.resources} (gauge, by reason): resources whose Ready condition has that reason.</li>
 * </ul>
 */
final class SyncMetrics {

    private final MeterRegistry meters;
    private final InstantSource clock;
    private final Timer propagation;
    private final Map<String, Reason> reasons = new ConcurrentHashMap<>();
    private final Map<String, Instant> syncedAt = new ConcurrentHashMap<>();
    private final MultiGauge dataAge;
    private final MultiGauge refreshInterval;
    private final Map<String, Duration> intervals = new ConcurrentHashMap<>();
    private final Map<Reason, Long> counts = new EnumMap<>(Reason.class);

    /** Bucket boundaries for propagation: the goal is under a second; the alert fires on a p99 over 60 s. */
    private static final Duration[] PROPAGATION_BUCKETS = Stream.of(100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
            60_000, 300_000).map(Duration::ofMillis).toArray(Duration[]::new);

    SyncMetrics(MeterRegistry meters, InstantSource clock) {
        this.meters = meters;
        this.clock = clock;
        this.propagation = Timer.builder("lanyard.sync.propagation")
                .description("from a change through Lanyard to the Kubernetes Secret holding it")
                .serviceLevelObjectives(PROPAGATION_BUCKETS).register(meters);
        this.dataAge = MultiGauge.builder("lanyard.sync.data.age").baseUnit("seconds")
                .description("since each synced Secret last matched its backend values").register(meters);
        this.refreshInterval = MultiGauge.builder("lanyard.sync.refresh.interval").baseUnit("seconds")
                .description("each Periodic resource's refresh interval").register(meters);
        for (Reason reason : Reason.values()) {
            Gauge.builder("lanyard.sync.resources", this, metrics -> metrics.count(reason))
                    .tag("reason", reason.name()).description("ExternalSecrets whose Ready condition has this reason")
                    .register(meters);
        }
    }

    void reconciled(Reason reason, Duration took) {
        meters.timer("lanyard.sync.reconciles", "reason", reason.name()).record(took);
    }

    void propagated(Duration latency) {
        propagation.record(latency);
    }

    /** @param interval the resource's refresh interval, or {@code null} when it does not refresh periodically */
    void state(String resource, Reason reason, Instant synced, Duration interval) {
        reasons.put(resource, reason);
        if (interval == null) {
            intervals.remove(resource);
        } else {
            intervals.put(resource, interval);
        }
        if (synced != null) {
            syncedAt.put(resource, synced);
        }
    }

    /** Publishes the per-resource ages and counts of the resources that still exist; called on a timer, not per reconcile. */
    void refresh(Collection<String> live) {
        reasons.keySet().retainAll(live);
        syncedAt.keySet().retainAll(live);
        intervals.keySet().retainAll(live);
        Instant now = clock.instant();
        dataAge.register(rows(syncedAt, at -> Duration.between(at, now).toSeconds()), true);
        refreshInterval.register(rows(intervals, Duration::toSeconds), true);
        synchronized (counts) {
            counts.clear();
            reasons.values().forEach(reason -> counts.merge(reason, 1L, Long::sum));
        }
    }

    /** One row per resource, labelled by its namespace and name (a resource's key is {@code <namespace>/<name>}). */
    private static <T> List<MultiGauge.Row<?>> rows(Map<String, T> byResource, ToDoubleFunction<T> value) {
        return byResource.entrySet().stream().<MultiGauge.Row<?>>map(entry -> {
            int slash = entry.getKey().indexOf('/');
            return MultiGauge.Row.of(Tags.of("namespace", entry.getKey().substring(0, slash),
                    "name", entry.getKey().substring(slash + 1)), value.applyAsDouble(entry.getValue()));
        }).toList();
    }

    private double count(Reason reason) {
        synchronized (counts) {
            return counts.getOrDefault(reason, 0L);
        }
    }
}
