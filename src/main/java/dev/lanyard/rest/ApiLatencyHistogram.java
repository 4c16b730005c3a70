package dev.lanyard.rest;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Latency buckets on the API's request timer, so Prometheus can compute a p99 of {@code http.server.requests}
 * ({@code histogram_quantile} over {@code http_server_requests_seconds_bucket}): the canary analysis in
 * deploy/k8s judges a new version by it.
 *
 * <p>Fixed boundaries, and only on the API's routes ({@code uri} /v1/…): a dozen buckets per route template,
 * method and status, where Micrometer's percentile histogram would add some seventy, and none on the probes and
 * the metrics endpoint. The analysis' p99 objective (0.5 s) is a boundary, so the comparison at it is exact.
 */
@Singleton
class ApiLatencyHistogram implements MeterFilter {

    static final String METER = "http.server.requests";
    static final String API_PREFIX = "/v1/";
    static final Duration[] BOUNDARIES = Stream.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000)
            .map(Duration::ofMillis).toArray(Duration[]::new);

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        String uri = id.getTag("uri");
        if (!METER.equals(id.getName()) || uri == null || !uri.startsWith(API_PREFIX)) {
            return config;
        }
        // A timer's boundaries are in nanoseconds, its base unit.
        double[] nanos = Stream.of(BOUNDARIES).mapToDouble(Duration::toNanos).toArray();
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
    }
}
