package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.broker.ChangeRelay;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.support.TickingClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What the worker's poll reads for the per-schedule gauges: everything once at start-up, then only the schedules
 * PostgreSQL announced, at most {@value ScheduleChanges#PER_POLL} a poll, and everything again whenever announcements
 * may have been lost — or, with nothing to hear them on, once every {@link ScheduleChanges#UNHEARD}.
 */
class ScheduleChangesTest {

    private final TickingClock clock = new TickingClock();
    private final List<String> asked = new ArrayList<>();
    private final ScheduleChanges changes = new ScheduleChanges(channel -> asked.add(channel), clock);

    ScheduleChangesTest() {
        changes.listen();
    }

    @Test
    void everythingAtStartUpThenOnlyWhatWasAnnouncedOnItsChannelThenNothing() {
        assertThat(asked).containsExactly(ScheduleChanges.CHANNEL);
        changes.announced("before-the-first-poll");
        assertThat(changes.take().everything()).as("start-up").isTrue();
        assertThat(changes.take()).isEqualTo(new ScheduleChanges.Pending(false, Set.of()));
        changes.announced(new ChangeRelay.Announcement(ScheduleChanges.CHANNEL, "a"));
        changes.announced(new ChangeRelay.Announcement(ScheduleChanges.CHANNEL, "b"));
        changes.announced(new ChangeRelay.Announcement(ScheduleChanges.CHANNEL, "a"));
        changes.announced(new ChangeRelay.Announcement("someone_elses_channel", "c"));
        clock.advance(Duration.ofHours(1));
        assertThat(changes.take()).as("heard: no periodic read of everything")
                .isEqualTo(new ScheduleChanges.Pending(false, Set.of("a", "b")));
        assertThat(changes.take().ids()).as("each announcement is read once").isEmpty();
    }

    @Test
    void aLargeBacklogIsReadOverSeveralPollsAndNoneIsLost() {
        changes.take();
        IntStream.range(0, ScheduleChanges.PER_POLL + 100).forEach(i -> changes.announced("s" + i));
        Set<String> first = changes.take().ids();
        assertThat(first).hasSize(ScheduleChanges.PER_POLL);
        changes.announced("late");
        Set<String> all = new HashSet<>(first);
        all.addAll(changes.take().ids());
        assertThat(all).hasSize(ScheduleChanges.PER_POLL + 101).contains("late", "s0", "s" + (ScheduleChanges.PER_POLL + 99));
    }

    @Test
    void aFailedReadAReconnectionOrAnOverflowingBacklogMeansReadingEverything() {
        changes.take();
        changes.announced("a");
        changes.take();
        changes.readFailed();
        assertThat(changes.take().everything()).as("the ids taken were never read").isTrue();

        changes.missed(new ChangesMissed(clock.instant()));
        assertThat(changes.take().everything()).as("the listening connection came back").isTrue();
        assertThat(changes.take().everything()).isFalse();

        IntStream.range(0, ScheduleChanges.MOST_PENDING + 1).forEach(i -> changes.announced("s" + i));
        ScheduleChanges.Pending pending = changes.take();
        assertThat(pending.everything()).isTrue();
        assertThat(changes.take().ids()).as("memory stays bounded when nobody polls").hasSizeLessThan(ScheduleChanges.PER_POLL);
    }

    @Test
    void withTheRelayOffEverythingIsReadOncePerIntervalAndNotEveryPoll() {
        ScheduleChanges deaf = new ScheduleChanges(channel -> false, clock);
        deaf.listen();
        assertThat(deaf.take().everything()).isTrue();
        clock.advance(ScheduleChanges.UNHEARD.minusSeconds(1));
        assertThat(deaf.take().everything()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(deaf.take().everything()).isTrue();
        assertThat(deaf.take().everything()).isFalse();
    }
}
