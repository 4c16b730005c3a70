package dev.lanyard.audit.store;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;

/** How the audit writer is doing: events per commit and commit latency. */
@ApplicationScoped
class AuditMetrics {

    private final DistributionSummary batchSize;
    private final Timer commitLatency;

    AuditMetrics(MeterRegistry meters) {
        this.batchSize = DistributionSummary.builder("lanyard.audit.batch.events")
                .description("audit events written per commit").register(meters);
        this.commitLatency = Timer.builder("lanyard.audit.commit").description("audit batch commit latency").register(meters);
    }

    void committed(int events, long nanos) {
        batchSize.record(events);
        commitLatency.record(nanos, TimeUnit.NANOSECONDS);
    }
}
