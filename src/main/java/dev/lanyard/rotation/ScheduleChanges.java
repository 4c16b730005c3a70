package dev.lanyard.rotation;

import dev.lanyard.broker.ChangeRelay;
import dev.lanyard.secret.ChangesMissed;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.jboss.logging.Logger;

/**
 * Which schedules changed since the worker last looked, as PostgreSQL announces them: a trigger (migration V12)
 * notifies {@value #CHANNEL} with a schedule's id when it is created or deleted, or its expression, secret or last
 * success changes, whichever replica (or operator) made the change. The worker's poll then reads only those rows to
 * move the per-schedule gauges, instead of every schedule every second.
 *
 * <p>The announcements arrive over the one listening connection each replica holds, the broker's change relay
 * ({@link ChangeRelay#listenAlso}). Everything counts as changed at start-up and whenever that connection comes back
 * ({@link ChangesMissed}), since what was announced while it was away is lost; so does a backlog larger than
 * {@value #MOST_PENDING} ids (a replica that does not poll, {@code poll-interval=off}, keeps no more than that). With the
 * relay off ({@code lanyard.broker.relay=false}) nothing is heard, and the poll reads every schedule once every
 * {@link #UNHEARD} instead.
 */
@Singleton
class ScheduleChanges {

    static final String CHANNEL = "lanyard_rotation_schedules";
    /** Most schedules one poll reads after announcements; the rest wait for the next poll. */
    static final int PER_POLL = 500;
    static final int MOST_PENDING = 10_000;
    /** How often everything is read when no announcement can be heard. */
    static final Duration UNHEARD = Duration.ofMinutes(1);
    private static final Logger LOG = Logger.getLogger(ScheduleChanges.class);

    /** Asks for a channel to be listened on; answers whether anything will be heard ({@link ChangeRelay#listenAlso}). */
    private final Predicate<String> listen;
    private final InstantSource clock;
    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean everything = new AtomicBoolean(true);
    private volatile boolean heard;
    private volatile Instant lastEverything = Instant.MIN;

    @Inject
    ScheduleChanges(ChangeRelay relay, InstantSource clock) {
        this(relay::listenAlso, clock);
    }

    ScheduleChanges(Predicate<String> listen, InstantSource clock) {
        this.listen = listen;
        this.clock = clock;
    }

    /** The schedules whose gauges to refresh: all of them, or those announced since the last call. */
    record Pending(boolean everything, Set<String> ids) {

        static final Pending EVERYTHING = new Pending(true, Set.of());
    }

    /** Before the relay connects at start-up (a later call would still be heard, from the connection after). */
    void start(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        listen();
    }

    void listen() {
        heard = listen.test(CHANNEL);
        if (!heard) {
            LOG.infof("lanyard.broker.relay is off: schedule changes are not announced here, so the per-schedule gauges"
                    + " are read from every schedule every %d s", UNHEARD.toSeconds());
        }
    }

    void announced(@Observes ChangeRelay.Announcement announcement) {
        if (CHANNEL.equals(announcement.channel())) {
            announced(announcement.payload());
        }
    }

    /** The listening connection came back: what was announced meanwhile is lost. */
    void missed(@Observes ChangesMissed missed) {
        everything.set(true);
    }

    void announced(String scheduleId) {
        if (announced.size() >= MOST_PENDING) {
            everything.set(true);
            announced.clear();
            return;
        }
        announced.add(scheduleId);
    }

    /** Takes what to read now. Ids announced meanwhile stay for the next call. */
    Pending take() {
        Instant now = clock.instant();
        boolean unheardTooLong = !heard && !now.isBefore(lastEverything.plus(UNHEARD));
        if (everything.getAndSet(false) || unheardTooLong) {
            // Whatever was announced before is covered by reading everything, which happens after this.
            announced.clear();
            lastEverything = now;
            return Pending.EVERYTHING;
        }
        Set<String> ids = new HashSet<>();
        for (Iterator<String> it = announced.iterator(); it.hasNext() && ids.size() < PER_POLL; ) {
            ids.add(it.next());
            it.remove();
        }
        return new Pending(false, ids);
    }

    /** What {@link #take} returned could not be read: read everything next time. */
    void readFailed() {
        everything.set(true);
    }
}
