package dev.lanyard.support;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Fixed latency buckets for the request and backend timers, so that Prometheus can compute p99 per route and per
 * backend ({@code histogram_quantile}): the alerts (deploy/observability/alerts.yaml) and the canary analysis in
 * deploy/k8s read them. Eleven boundaries, not Micrometer's percentile histogram (about 70), to keep the series count
 * per route small; the analysis' p99 objective (0.5 s) is one of them, so the comparison at it is exact. Requests get
 * them only on the API's routes ({@code uri} /v1/…), never on the probes or the metrics endpoint.
 */
class LatencyBuckets {

    static final String REQUESTS = "http.server.requests";
    static final String BACKEND_CALLS = "lanyard.backend.call";
    private static final String API_PREFIX = "/v1/";
    private static final double[] BUCKETS = Stream.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000)
            .map(Duration::ofMillis).mapToDouble(Duration::toNanos).toArray();

    @Produces
    @Singleton
    MeterFilter latencyBuckets() {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                String uri = id.getTag("uri");
                boolean bucketed = id.getName().equals(BACKEND_CALLS)
                        || id.getName().equals(REQUESTS) && uri != null && uri.startsWith(API_PREFIX);
                // A timer's boundaries are in nanoseconds, its base unit.
                return bucketed ? DistributionStatisticConfig.builder().serviceLevelObjectives(BUCKETS).build().merge(config)
                        : config;
            }
        };
    }
}
