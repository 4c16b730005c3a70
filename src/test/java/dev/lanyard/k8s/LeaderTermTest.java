package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LeaderTermTest {

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final long deadline = Duration.ofSeconds(10).toNanos();

    @Test
    void holdsUntilTheRenewDeadlinePassesWithoutARenewal() {
        LeaderTerm term = new LeaderTerm(1, nanos::get, nanos.get(), deadline);
        nanos.addAndGet(deadline - 1);
        assertThat(term.holds()).isTrue();
        nanos.addAndGet(1);
        assertThat(term.holds()).as("no renewal for a whole renew deadline").isFalse();
        assertThatThrownBy(term::check).isInstanceOf(LeaderTerm.Deposed.class).hasMessageContaining("term 1");
    }

    @Test
    void aRenewalCountsFromWhenItStarted() {
        LeaderTerm term = new LeaderTerm(1, nanos::get, nanos.get(), deadline);
        long started = nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        nanos.addAndGet(Duration.ofSeconds(7).toNanos()); // the renewal took 7 s to come back
        term.renewed(started);
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertThat(term.holds()).isTrue();
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(term.holds()).as("10 s after the renewal started, not after it ended").isFalse();
        term.renewed(started - 1);
        assertThat(term.holds()).as("an older renewal finishing late moves nothing").isFalse();
    }

    @Test
    void anEndedTermNeverHoldsAgain() {
        LeaderTerm term = new LeaderTerm(2, nanos::get, nanos.get(), deadline);
        term.end();
        term.renewed(nanos.get());
        assertThat(term.holds()).isFalse();
        LeaderTerm uncontested = LeaderTerm.uncontested();
        assertThat(uncontested.holds()).isTrue();
        uncontested.end();
        assertThat(uncontested.holds()).isFalse();
    }
}
