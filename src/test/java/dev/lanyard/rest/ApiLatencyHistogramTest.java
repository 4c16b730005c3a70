package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiLatencyHistogramTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void installFilter() {
        registry.config().meterFilter(new ApiLatencyHistogram());
    }

    private Timer requests(String uri) {
        return Timer.builder("http.server.requests").tags("method", "GET", "uri", uri, "status", "200").register(registry);
    }

    private static double[] boundariesInSeconds(Timer timer) {
        return Arrays.stream(timer.takeSnapshot().histogramCounts()).mapToDouble(b -> b.bucket(TimeUnit.SECONDS)).toArray();
    }

    @Test
    void apiRequestsGetTheFixedBucketsWithTheAnalysisObjectiveAsABoundary() {
        Timer api = requests("/v1/secrets/{backend}/{path}");
        api.record(Duration.ofMillis(30));
        api.record(Duration.ofMillis(700));

        assertThat(boundariesInSeconds(api))
                .containsExactly(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);
        CountAtBucket atObjective = Arrays.stream(api.takeSnapshot().histogramCounts())
                .filter(b -> b.bucket(TimeUnit.SECONDS) == 0.5).findFirst().orElseThrow();
        assertThat(atObjective.count()).as("requests within 0.5 s").isEqualTo(1);
    }

    @Test
    void probesAndOtherTimersGetNoBuckets() {
        assertThat(boundariesInSeconds(requests("/q/health/ready"))).isEmpty();
        assertThat(boundariesInSeconds(requests("/UNMATCHED"))).isEmpty();
        Timer other = Timer.builder("lanyard.backend.call").tag("uri", "/v1/secrets/x").register(registry);
        assertThat(boundariesInSeconds(other)).isEmpty();
    }
}
