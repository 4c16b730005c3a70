package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.secret.SecretRef;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The per-schedule gauges that LanyardRotationOverdue reads follow what schedules are now: created, changed, deleted,
 * or deleted and declared again for the same secret — from the changes PostgreSQL announced, not from a read of every
 * schedule.
 */
class RotationMetricsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    private static final String AGE = "lanyard.rotation.last.success.age";
    private static final String INTERVAL = "lanyard.rotation.interval";

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final RotationMetrics metrics = new RotationMetrics(meters, InstantSource.fixed(NOW));

    @Test
    void startUpGaugesEverySchedulesIntervalAndLastSuccess() {
        metrics.schedulesNow(List.of(schedule("s1", "db/one", "rate(7 days)", NOW.minus(Duration.ofDays(2))),
                schedule("s2", "db/two", "0 3 * * *", null)), NOW);

        assertThat(gauge(INTERVAL, "local/db/one")).isEqualTo(Duration.ofDays(7).toSeconds());
        assertThat(gauge(AGE, "local/db/one")).isEqualTo(Duration.ofDays(2).toSeconds());
        assertThat(gauge(INTERVAL, "local/db/two")).as("daily cron").isEqualTo(Duration.ofDays(1).toSeconds());
        assertThat(meters.find(AGE).tag("secret", "local/db/two").gauge()).as("never rotated yet").isNull();
    }

    @Test
    void aChangedScheduleMovesItsGaugesAndADeletedOneTakesThemAway() {
        metrics.schedulesNow(List.of(schedule("s1", "db/one", "rate(7 days)", NOW.minus(Duration.ofDays(2))),
                schedule("s2", "db/two", "rate(1 day)", NOW)), NOW);

        metrics.schedulesChanged(Set.of("s1", "s2"), List.of(schedule("s1", "db/one", "rate(30 days)", NOW.minus(Duration.ofHours(1)))),
                NOW);

        assertThat(gauge(INTERVAL, "local/db/one")).isEqualTo(Duration.ofDays(30).toSeconds());
        assertThat(gauge(AGE, "local/db/one")).isEqualTo(Duration.ofHours(1).toSeconds());
        assertThat(meters.find(INTERVAL).tag("secret", "local/db/two").gauge()).as("s2 was deleted").isNull();
        assertThat(meters.find(AGE).tag("secret", "local/db/two").gauge()).isNull();
    }

    @Test
    void aScheduleDeletedAndDeclaredAgainForTheSameSecretKeepsItsGaugesInWhicheverOrderTheyAreRead() {
        metrics.schedulesNow(List.of(schedule("old", "db/one", "rate(7 days)", NOW)), NOW);
        metrics.schedulesChanged(Set.of("old", "new"), List.of(schedule("new", "db/one", "rate(1 day)", null)), NOW);
        assertThat(gauge(INTERVAL, "local/db/one")).isEqualTo(Duration.ofDays(1).toSeconds());

        // A backlog read over two polls: the new schedule first, the old one's deletion after.
        metrics.schedulesNow(List.of(schedule("first", "db/two", "rate(7 days)", NOW)), NOW);
        metrics.schedulesChanged(Set.of("second"), List.of(schedule("second", "db/two", "rate(2 days)", null)), NOW);
        metrics.schedulesChanged(Set.of("first"), List.of(), NOW);
        assertThat(gauge(INTERVAL, "local/db/two")).isEqualTo(Duration.ofDays(2).toSeconds());
    }

    @Test
    void readingEverythingAgainDropsTheGaugesOfSchedulesDeletedMeanwhile() {
        metrics.schedulesNow(List.of(schedule("s1", "db/one", "rate(7 days)", NOW), schedule("s2", "db/two", "rate(7 days)", NOW)),
                NOW);
        metrics.schedulesNow(List.of(schedule("s2", "db/two", "rate(7 days)", NOW)), NOW);

        assertThat(meters.find(INTERVAL).tag("secret", "local/db/one").gauge()).isNull();
        assertThat(meters.find(AGE).tag("secret", "local/db/one").gauge()).isNull();
        assertThat(gauge(INTERVAL, "local/db/two")).isEqualTo(Duration.ofDays(7).toSeconds());
    }

    @Test
    void aRowWithAnExpressionThatDoesNotParseCostsOnlyItsOwnIntervalGauge() {
        metrics.schedulesNow(List.of(schedule("bad", "db/bad", "every now and then", NOW),
                schedule("good", "db/good", "rate(7 days)", NOW)), NOW);

        assertThat(meters.find(INTERVAL).tag("secret", "local/db/bad").gauge()).isNull();
        assertThat(gauge(AGE, "local/db/bad")).isZero();
        assertThat(gauge(INTERVAL, "local/db/good")).isEqualTo(Duration.ofDays(7).toSeconds());
    }

    private double gauge(String name, String secret) {
        Gauge gauge = meters.find(name).tag("secret", secret).gauge();
        assertThat(gauge).as(name + " of " + secret).isNotNull();
        return gauge.value();
    }

    private static RotationSchedule schedule(String id, String path, String expression, Instant lastSuccess) {
        return new RotationSchedule(id, SecretRef.of("local", path), "random", Map.of(), expression, Duration.ofHours(1),
                Duration.ZERO, false, Optional.of(NOW.plus(Duration.ofDays(1))), Optional.empty(), Optional.empty(),
                Optional.ofNullable(lastSuccess), Optional.ofNullable(lastSuccess), "test");
    }
}
