package dev.lanyard.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RefreshScheduleTest {

    private static final Instant ISSUED = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void refreshPointStaysWithinTheJitterWindowAndSpreadsOverIt() {
        RefreshSchedule schedule = new RefreshSchedule(0.66, 0.1, new SplittableRandom(42));
        Duration ttl = Duration.ofSeconds(1000);
        // [issued + (0.66 - 0.1) * ttl, issued + 0.66 * ttl] = [+560 s, +660 s]
        Instant earliest = ISSUED.plusSeconds(560);
        Instant latest = ISSUED.plusSeconds(660);

        int draws = 10_000;
        Set<Instant> seen = new HashSet<>();
        Instant min = Instant.MAX;
        Instant max = Instant.MIN;
        for (int i = 0; i < draws; i++) {
            Instant at = schedule.refreshAfter(ISSUED, ttl);
            assertThat(at).isBetween(earliest, latest);
            seen.add(at);
            min = at.isBefore(min) ? at : min;
            max = at.isAfter(max) ? at : max;
        }

        // Draws are spread out, not all one value: many distinct points, reaching both ends of the window.
        assertThat(seen).hasSizeGreaterThan(draws * 8 / 10);
        assertThat(Duration.between(earliest, min)).isLessThan(Duration.ofSeconds(1));
        assertThat(Duration.between(max, latest)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void sameSeedGivesTheSameSchedule() {
        RefreshSchedule a = new RefreshSchedule(0.66, 0.1, new SplittableRandom(7));
        RefreshSchedule b = new RefreshSchedule(0.66, 0.1, new SplittableRandom(7));
        for (int i = 0; i < 100; i++) {
            assertThat(a.refreshAfter(ISSUED, Duration.ofHours(1))).isEqualTo(b.refreshAfter(ISSUED, Duration.ofHours(1)));
        }
    }

    @Test
    void withoutJitterTheRefreshPointIsExactlyRefreshAtOfTheLifetime() {
        RefreshSchedule schedule = new RefreshSchedule(0.5, 0.0, new SplittableRandom(1));
        assertThat(schedule.refreshAfter(ISSUED, Duration.ofMinutes(10))).isEqualTo(ISSUED.plus(Duration.ofMinutes(5)));
    }

    @Test
    void refreshAtOneWithoutJitterIsTheExpiry() {
        RefreshSchedule schedule = new RefreshSchedule(1.0, 0.0, new SplittableRandom(1));
        assertThat(schedule.refreshAfter(ISSUED, Duration.ofHours(2))).isEqualTo(ISSUED.plus(Duration.ofHours(2)));
    }

    @Test
    void neverBeforeIssueNorAfterExpiryEvenAtTheWidestJitter() {
        RefreshSchedule schedule = new RefreshSchedule(1.0, 0.999, new SplittableRandom(3));
        Duration ttl = Duration.ofMinutes(5);
        for (int i = 0; i < 5_000; i++) {
            assertThat(schedule.refreshAfter(ISSUED, ttl)).isBetween(ISSUED, ISSUED.plus(ttl));
        }
    }

    @Test
    void zeroLifetimeRefreshesAtIssueTime() {
        RefreshSchedule schedule = new RefreshSchedule(0.66, 0.1, new SplittableRandom(42));
        assertThat(schedule.refreshAfter(ISSUED, Duration.ZERO)).isEqualTo(ISSUED);
    }

    @ParameterizedTest(name = "refreshAt={0}, jitter={1}")
    @CsvSource({
            "0.0, 0.0",      // refreshAt must be > 0
            "-0.5, 0.0",
            "1.01, 0.1",     // refreshAt must be <= 1
            "0.66, -0.01",   // jitter must be >= 0
            "0.66, 0.66",    // jitter must be < refreshAt (else the refresh point could be the issue time)
            "0.5, 0.9",
    })
    void constructorRejectsFractionsOutOfRange(double refreshAt, double jitter) {
        assertThatThrownBy(() -> new RefreshSchedule(refreshAt, jitter, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 < refreshAt <= 1");
    }

    @ParameterizedTest(name = "refreshAt={0}, jitter={1}")
    @CsvSource({"NaN, 0.1", "0.66, NaN"})
    void constructorRejectsNaN(double refreshAt, double jitter) {
        // Every range comparison with NaN is false, so NaN slips past the checks unless it is tested for explicitly;
        // refreshAfter would then return issuedAt ((long) NaN == 0): every value due for refresh the moment it is issued.
        assertThatThrownBy(() -> new RefreshSchedule(refreshAt, jitter, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "refreshAt={0}, jitter={1}")
    @CsvSource({"1.0, 0.0", "0.66, 0.1", "0.01, 0.0", "1.0, 0.999"})
    void constructorAcceptsFractionsInRange(double refreshAt, double jitter) {
        assertThatCode(() -> new RefreshSchedule(refreshAt, jitter, new SplittableRandom(1))).doesNotThrowAnyException();
    }
}
