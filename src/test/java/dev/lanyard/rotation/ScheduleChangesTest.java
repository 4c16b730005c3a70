package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What the worker's poll reads for the per-schedule gauges: everything once at start-up, then only the schedules
 * PostgreSQL announced, at most {@value ScheduleChanges#PER_POLL} a poll, and everything again whenever announcements
 * may have been lost.
 */
class ScheduleChangesTest {

    private final ScheduleChanges changes = new ScheduleChanges(null, "postgresql://localhost/lanyard", Optional.empty(),
            Optional.empty());

    @Test
    void everythingAtStartUpThenOnlyWhatWasAnnouncedThenNothing() {
        changes.announced("before-the-first-poll");
        assertThat(changes.take().everything()).as("start-up").isTrue();
        assertThat(changes.take()).isEqualTo(new ScheduleChanges.Pending(false, Set.of()));
        changes.announced("a");
        changes.announced("b");
        changes.announced("a");
        assertThat(changes.take()).isEqualTo(new ScheduleChanges.Pending(false, Set.of("a", "b")));
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
    void aFailedReadOrAnOverflowingBacklogMeansReadingEverything() {
        changes.take();
        changes.announced("a");
        changes.take();
        changes.readFailed();
        assertThat(changes.take().everything()).as("the ids taken were never read").isTrue();

        IntStream.range(0, ScheduleChanges.MOST_PENDING + 1).forEach(i -> changes.announced("s" + i));
        ScheduleChanges.Pending pending = changes.take();
        assertThat(pending.everything()).isTrue();
        assertThat(changes.take().ids()).as("memory stays bounded when nobody polls").hasSizeLessThan(ScheduleChanges.PER_POLL);
    }
}
