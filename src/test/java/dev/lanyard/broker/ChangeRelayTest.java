package dev.lanyard.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.database.PostgresTls;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.support.TickingClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The relay's start-up checks, and how it behaves when its database does not answer: it keeps trying, ever less often,
 * and says why it is down. Listening over TLS and recovering from a dropped connection, against a real PostgreSQL:
 * {@code dev.lanyard.it.DatabaseTlsProcessIT}.
 */
class ChangeRelayTest {

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(properties, "test", 500)).build();
    }

    private static ChangeRelay relay(SmallRyeConfig all, boolean enabled, Vertx vertx, SimpleMeterRegistry meters,
                                     Duration firstRetry, Duration longestRetry) {
        BrokerTest.Config config = BrokerTest.Config.defaults().relaying(enabled);
        return new ChangeRelay(vertx, null, null, new TickingClock(), new SplittableRandom(7), config, all, meters,
                PostgresTls.from(all), null, firstRetry, longestRetry);
    }

    @Test
    void theOldKeyIsRefusedAtStartUpNamingTheNewOne() {
        assertThatThrownBy(() -> relay(config(Map.of("lanyard.rotation.relay", "false")), false, null,
                new SimpleMeterRegistry(), ChangeRelay.FIRST_RETRY, ChangeRelay.LONGEST_RETRY))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lanyard.rotation.relay was renamed lanyard.broker.relay");
    }

    @Test
    void withoutTheOldKeyTheRelayIsBuiltAndSwitchedOffItRegistersNoMetric() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        assertThatCode(() -> relay(config(Map.of("lanyard.broker.relay", "false")), false, null, meters,
                ChangeRelay.FIRST_RETRY, ChangeRelay.LONGEST_RETRY)).doesNotThrowAnyException();
        assertThat(meters.getMeters()).as("an instance without relay metrics is one the alert finds").isEmpty();
    }

    @Test
    void whenTheDatabaseRefusesTheRelayKeepsTryingLessAndLessOftenAndReadinessSaysWhy() throws Exception {
        int nobody = FreePort.pick();
        SmallRyeConfig all = config(Map.of("quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + nobody + "/lanyard",
                "quarkus.datasource.username", "lanyard_app", "quarkus.datasource.password", "not-a-real-password"));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Vertx vertx = Vertx.vertx();
        try {
            ChangeRelay relay = relay(all, true, vertx, meters, Duration.ofMillis(20), Duration.ofMillis(160));
            assertThat(relay.status().state()).isEqualTo(ChangeRelay.Status.State.CONNECTING);
            relay.start(null);

            Instant deadline = Instant.now().plusSeconds(20);
            while (failures(meters) < 6 && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            assertThat(failures(meters)).as("attempts to listen after the first one failed").isGreaterThanOrEqualTo(6);
            ChangeRelay.Status status = relay.status();
            assertThat(status.coherent()).isFalse();
            assertThat(status.state()).isEqualTo(ChangeRelay.Status.State.CONNECTING);
            assertThat(status.describe()).startsWith("not listening yet since ").contains("Connection refused")
                    .endsWith("; retrying").doesNotContain("not-a-real-password");
            assertThat(meters.get("lanyard.relay.connected").gauge().value()).isZero();
            assertThat(meters.get("lanyard.relay.tls").gauge().value()).isZero();
            relay.stop(null);
            double stoppedAt = failures(meters);
            Thread.sleep(400);
            assertThat(failures(meters)).as("no attempt after the service stopped").isEqualTo(stoppedAt);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    @Test
    void theDelayDoublesFromHalfASecondToHalfAMinuteLessUpToAQuarterAtRandom() {
        ChangeRelay relay = relay(config(Map.of()), false, null, new SimpleMeterRegistry(), ChangeRelay.FIRST_RETRY,
                ChangeRelay.LONGEST_RETRY);
        assertThat(relay.backoff(1)).isBetween(Duration.ofMillis(375), Duration.ofMillis(500));
        assertThat(relay.backoff(2)).isBetween(Duration.ofMillis(750), Duration.ofMillis(1000));
        assertThat(relay.backoff(4)).isBetween(Duration.ofMillis(3000), Duration.ofMillis(4000));
        for (int failure : new int[] {7, 8, 40, 10_000}) {
            assertThat(relay.backoff(failure)).isBetween(Duration.ofMillis(22_500), Duration.ofSeconds(30));
        }
    }

    private static double failures(SimpleMeterRegistry meters) {
        return meters.get("lanyard.relay.connect.failures").counter().count();
    }
}
