package dev.lanyard.rotation;

import dev.lanyard.access.Refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ScheduleExpressionTest {

    private static final Instant MONDAY_NOON = Instant.parse("2026-11-30T12:00:00Z");

    @Test
    void aRateOpensItsNextWindowThatLongAfter() {
        assertThat(ScheduleExpression.parse("rate(30 days)").next(MONDAY_NOON)).contains(MONDAY_NOON.plus(Duration.ofDays(30)));
        assertThat(ScheduleExpression.parse("rate(1 hour)").shortestInterval(MONDAY_NOON)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void aCronExpressionIsReadInUtc() {
        ScheduleExpression mondaysAtThree = ScheduleExpression.parse("0 3 * * 1");
        assertThat(mondaysAtThree.next(MONDAY_NOON)).contains(Instant.parse("2026-12-07T03:00:00Z"));
        assertThat(mondaysAtThree.shortestInterval(MONDAY_NOON)).isEqualTo(Duration.ofDays(7));
        assertThat(ScheduleExpression.parse("*/15 * * * *").shortestInterval(MONDAY_NOON)).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void anythingElseIsRefusedWithItsCode() {
        for (String bad : new String[] {"", "rate(0 days)", "rate(3 weeks)", "rate(days)", "61 * * * *", "* * *",
                "0 3 * * 1 2026", "every day", "0 0 31 2 * *"}) {
            assertThatThrownBy(() -> ScheduleExpression.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(InvalidRotationException.class,
                            e -> assertThat(e.refusal()).isEqualTo(Refusal.INVALID_SCHEDULE));
        }
    }
}
