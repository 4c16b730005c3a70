package dev.lanyard.rotation;

import dev.lanyard.support.ListeningConnection;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Which schedules changed since the worker last looked, as PostgreSQL announces them: a trigger (migration V11)
 * notifies {@value #CHANNEL} with a schedule's id when it is created or deleted, or its expression or last success
 * changes, whichever replica (or operator) made the change. The worker's poll then reads only those rows to move the
 * per-schedule gauges, instead of every schedule every second.
 *
 * <p>Everything counts as changed at start-up and whenever the listening connection comes back, since what was
 * announced while it was away is lost; so does a backlog larger than {@value #MOST_PENDING} ids (a replica that does
 * not poll, {@code poll-interval=off}, keeps no more than that).
 */
@Singleton
class ScheduleChanges {

    static final String CHANNEL = "lanyard_rotation_schedules";
    /** Most schedules one poll reads after announcements; the rest wait for the next poll. */
    static final int PER_POLL = 500;
    static final int MOST_PENDING = 10_000;
    private static final Logger LOG = Logger.getLogger(ScheduleChanges.class);

    private final Vertx vertx;
    private final String url;
    private final Optional<String> user;
    private final Optional<String> password;
    private final Set<String> announced = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean everything = new AtomicBoolean(true);
    private PgSubscriber subscriber;

    ScheduleChanges(Vertx vertx, @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
                    @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
                    @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.vertx = vertx;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    /** The schedules whose gauges to refresh: all of them, or those announced since the last call. */
    record Pending(boolean everything, Set<String> ids) {

        static final Pending EVERYTHING = new Pending(true, Set.of());
    }

    void start(@Observes StartupEvent started) {
        subscriber = ListeningConnection.subscriber(vertx, url, user, password);
        subscriber.channel(CHANNEL)
                .handler(this::announced)
                .subscribeHandler(ignored -> everything.set(true));
        subscriber.closeHandler(ignored -> LOG.warn("schedule change listener connection closed; reconnecting"));
        subscriber.connect().onFailure(failure -> LOG.warnf("schedule change listener could not connect (%s); retrying",
                failure.getClass().getSimpleName()));
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (subscriber != null) {
            subscriber.close();
        }
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
        if (everything.getAndSet(false)) {
            // Whatever was announced before is covered by reading everything, which happens after this.
            announced.clear();
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
