package dev.lanyard.audit.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** How the audit writer is doing: events per commit, commit latency, appends that failed and why. */
@ApplicationScoped
class AuditMetrics {

    private final DistributionSummary batchSize;
    private final Timer commitLatency;
    private final MeterRegistry meters;

    /** Why an append failed: the closed vocabulary of the {@code reason} label. */
    enum Failure {
        /** {@code max-queue} events were already waiting. */
        QUEUE_FULL,
        /** Not taken into a commit within {@code append-timeout}. */
        TIMEOUT,
        /** The commit failed: database unreachable, read-only or full, a head that does not verify. */
        DATABASE
    }

    AuditMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.batchSize = DistributionSummary.builder("lanyard.audit.batch.events")
                .description("audit events written per commit").register(meters);
        this.commitLatency = Timer.builder("lanyard.audit.commit").description("audit batch commit latency")
                .serviceLevelObjectives(BUCKETS).register(meters);
        for (Failure failure : Failure.values()) {
            failed(failure); // every reason is exported from the start, at 0
        }
    }

    /** Commit latency buckets: group commit is expected well under 50 ms. */
    static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
            Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5)};

    private Counter failed(Failure failure) {
        return Counter.builder("lanyard.audit.append.failures").tag("reason", failure.name().toLowerCase(Locale.ROOT))
                .description("audit appends that failed: the request was answered 503 AUDIT_UNAVAILABLE").register(meters);
    }

    void appendFailed(Failure failure) {
        failed(failure).increment();
    }

    void committed(int events, long nanos) {
        batchSize.record(events);
        commitLatency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
