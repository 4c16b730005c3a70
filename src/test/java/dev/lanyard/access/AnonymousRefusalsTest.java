package dev.lanyard.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.access.AnonymousRefusals.Verdict;
import dev.lanyard.support.TickingClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AnonymousRefusalsTest {

    private final TickingClock clock = new TickingClock();
    private final AnonymousRefusals refusals = new AnonymousRefusals(3, clock);

    @Test
    void anAddressGetsItsBudgetThenOneLimitRowThenSilence() {
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.RECORD);
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.RECORD);
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.RECORD);
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.RECORD_LIMIT);
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.LIMITED);
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.LIMITED);
        assertThat(refusals.admit("10.0.0.2")).as("another address has its own budget").isEqualTo(Verdict.RECORD);
    }

    @Test
    void theBudgetComesBackWhenTheMinuteIsOver() {
        for (int i = 0; i < 5; i++) {
            refusals.admit("10.0.0.1");
        }
        clock.advance(Duration.ofSeconds(59));
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.LIMITED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(refusals.admit("10.0.0.1")).isEqualTo(Verdict.RECORD);
    }

    @Test
    void manyAddressesShareOneBudgetInsteadOfGrowingTheMap() {
        for (int i = 0; i < AnonymousRefusals.MAX_ADDRESSES + 50; i++) {
            refusals.admit("addr-" + i);
        }
        assertThat(refusals.trackedAddresses()).isLessThanOrEqualTo(AnonymousRefusals.MAX_ADDRESSES + 1);
        assertThat(refusals.admit("one-more")).as("the shared budget is long spent").isEqualTo(Verdict.LIMITED);
        clock.advance(AnonymousRefusals.WINDOW);
        assertThat(refusals.admit("one-more")).as("expired windows are swept for new addresses").isEqualTo(Verdict.RECORD);
    }

    @Test
    void anEndedWindowReportsTheRefusalsItAnsweredWithoutARow() {
        for (int i = 0; i < 10; i++) {
            refusals.admit("10.0.0.5");
        }
        refusals.admit("10.0.0.6");
        assertThat(refusals.endedWindows()).as("nothing has ended yet").isEmpty();

        clock.advance(Duration.ofSeconds(61));
        assertThat(refusals.endedWindows()).singleElement().satisfies(ended -> {
            assertThat(ended.address()).isEqualTo("10.0.0.5");
            assertThat(ended.count()).as("10 refusals: 3 recorded, 1 limit row, 6 without a row").isEqualTo(6);
        });
        assertThat(refusals.endedWindows()).as("each window is reported once").isEmpty();
    }

    @Test
    void aWindowReplacedBeforeItWasReportedIsStillReported() {
        for (int i = 0; i < 6; i++) {
            refusals.admit("10.0.0.7");
        }
        clock.advance(Duration.ofSeconds(61));
        refusals.admit("10.0.0.7");

        assertThat(refusals.endedWindows()).singleElement().satisfies(ended -> assertThat(ended.count()).isEqualTo(2));
    }
}
