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

/**
 * The controller's meters. Resource names appear only in {@code lanyard.k8s.data.age}; values never appear anywhere.
 * <ul>
 * <li>{@code lanyard.k8s.reconciles} (timer, by reason): how each reconcile ended and how long it took;</li>
 * <li>{@code lanyard.k8s.propagation} (timer): from a change through Lanyard to the Secret holding it;</li>
 * <li>{@code lanyard.k8s.data.age} (gauge, by namespace and name, seconds): since each Secret last matched the backend;</li>
 * <li>{@code lanyard.k8s.resources} (gauge, by reason): resources whose Ready condition has that reason.</li>
 * </ul>
 */
final class SyncMetrics {

    private final MeterRegistry meters;
    private final InstantSource clock;
    private final Timer propagation;
    private final Map<String, Reason> reasons = new ConcurrentHashMap<>();
    private final Map<String, Instant> syncedAt = new ConcurrentHashMap<>();
    private final MultiGauge dataAge;
    private final Map<Reason, Long> counts = new EnumMap<>(Reason.class);

    SyncMetrics(MeterRegistry meters, InstantSource clock) {
        this.meters = meters;
        this.clock = clock;
        this.propagation = Timer.builder("lanyard.k8s.propagation")
                .description("from a change through Lanyard to the Kubernetes Secret holding it")
                .publishPercentiles(0.5, 0.99).register(meters);
        this.dataAge = MultiGauge.builder("lanyard.k8s.data.age").baseUnit("seconds")
                .description("since each synced Secret last matched its backend values").register(meters);
        for (Reason reason : Reason.values()) {
            Gauge.builder("lanyard.k8s.resources", this, metrics -> metrics.count(reason))
                    .tag("reason", reason.name()).description("ExternalSecrets whose Ready condition has this reason")
                    .register(meters);
        }
    }

    void reconciled(Reason reason, Duration took) {
        meters.timer("lanyard.k8s.reconciles", "reason", reason.name()).record(took);
    }

    void propagated(Duration latency) {
        propagation.record(latency);
    }

    void state(String resource, Reason reason, Instant synced) {
        reasons.put(resource, reason);
        if (synced != null) {
            syncedAt.put(resource, synced);
        }
    }

    /** Publishes the per-resource ages and counts of the resources that still exist; called on a timer, not per reconcile. */
    void refresh(Collection<String> live) {
        reasons.keySet().retainAll(live);
        syncedAt.keySet().retainAll(live);
        Instant now = clock.instant();
        List<MultiGauge.Row<?>> rows = syncedAt.entrySet().stream().map(entry -> {
            int slash = entry.getKey().indexOf('/');
            return MultiGauge.Row.of(Tags.of("namespace", entry.getKey().substring(0, slash),
                    "name", entry.getKey().substring(slash + 1)), Duration.between(entry.getValue(), now).toSeconds());
        }).<MultiGauge.Row<?>>map(row -> row).toList();
        dataAge.register(rows, true);
        synchronized (counts) {
            counts.clear();
            reasons.values().forEach(reason -> counts.merge(reason, 1L, Long::sum));
        }
    }

    private double count(Reason reason) {
        synchronized (counts) {
            return counts.getOrDefault(reason, 0L);
        }
    }
}
