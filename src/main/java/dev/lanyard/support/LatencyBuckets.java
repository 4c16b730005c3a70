package dev.lanyard.support;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Fixed latency buckets for the request and backend timers, so that Prometheus can compute p99 per route and per
 * backend ({@code histogram_quantile}) and alert on the SLO (deploy/observability/alerts.yaml). Ten buckets, not
 * Micrometer's percentile histogram (about 70), to keep the series count per route small.
 */
class LatencyBuckets {

    private static final Set<String> TIMERS = Set.of("http.server.requests", "lanyard.backend.call");
    private static final double[] BUCKETS = Stream.of(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
                    Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                    Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5))
            .mapToDouble(Duration::toNanos).toArray();

    @Produces
    @Singleton
    MeterFilter latencyBuckets() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!TIMERS.contains(id.getName())) {
                    return config;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(BUCKETS).build().merge(config);
            }
        };
    }
}
