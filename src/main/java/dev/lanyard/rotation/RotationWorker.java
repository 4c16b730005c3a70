package dev.lanyard.rotation;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.IfUnrecorded;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.Target;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Each replica's rotation loop: mark runs stuck that sat in one step too long, start the runs of due schedules, then
 * claim and execute runs that are due (new, waiting out a backoff, or abandoned by a replica whose claim expired).
 * Every query of a poll reads what is due, live or changed, through an index, never the whole history
 * (bench/periodic-queries.sh).
 */
@Singleton
public class RotationWorker {

    private static final Logger LOG = Logger.getLogger(RotationWorker.class);
    /** Bounds one poll, so a replica with a backlog still lets the others share it. */
    private static final int PER_POLL = 20;

    private final RotationStore store;
    private final RotationEngine engine;
    private final Windows windows;
    private final RotationConfig config;
    private final InstantSource clock;
    private final RotationMetrics metrics;
    private final ScheduleChanges changes;
    private final AuditedAccess audited;
    private final String replica;

    RotationWorker(RotationStore store, RotationEngine engine, Windows windows, RotationConfig config, InstantSource clock,
                   RotationMetrics metrics, ScheduleChanges changes, AuditedAccess audited, Replica replica) {
        this.store = store;
        this.engine = engine;
        this.windows = windows;
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        this.changes = changes;
        this.audited = audited;
        this.replica = replica.name();
    }

    /** On a virtual thread: a poll waits on PostgreSQL and on the steps it runs (docs/persistence.md). */
    @Scheduled(every = "${lanyard.rotation.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @RunOnVirtualThread
    void scheduled() {
        try {
            poll();
        } catch (Throwable e) {
            // One bad poll (the database away) must not stop the loop; the next poll starts over from PostgreSQL.
            LOG.warnf("rotation poll failed: %s", e.getClass().getSimpleName());
        }
    }

    /** One pass of the loop; returns how many runs it executed (to the end or to a retry). */
    public int poll() {
        for (RotationRun stuck : store.markStuck(clock.instant().minus(config.stuckAfter()))) {
            LOG.warnf("rotation run %s of %s is stuck in step %s", stuck.id(), stuck.secret(), stuck.step().spelling());
            metrics.runEnded(RunState.STUCK);
            audited.factNow(AccessContext.system(stuck.id()), AuditOperation.ROTATION_RUN,
                    Target.rotation(stuck.secret().backend(), stuck.secret().path().value(), "run/" + stuck.id()),
                    Outcome.FAILED, StepCode.RUN_STUCK.name(), IfUnrecorded.FAIL);
        }
        int started = 0;
        while (started < PER_POLL && store.startDue(clock.instant(), schedule -> windows.after(schedule, clock.instant())).isPresent()) {
            started++;
        }
        int executed = 0;
        for (; executed < PER_POLL; executed++) {
            Optional<RotationRun> claimed = store.claim(replica, clock.instant(), config.claimLease());
            if (claimed.isEmpty()) {
                break;
            }
            engine.execute(claimed.get());
        }
        metrics.stuckNow(store.countStuck());
        followScheduleChanges();
        return executed;
    }

    /**
     * Moves the per-schedule gauges of the schedules PostgreSQL announced as changed since the last poll (usually none:
     * no query at all); all of them once at start-up, and again only when announcements may have been missed.
     */
    private void followScheduleChanges() {
        ScheduleChanges.Pending pending = changes.take();
        try {
            if (pending.everything()) {
                metrics.schedulesNow(store.schedules(), clock.instant());
            } else if (!pending.ids().isEmpty()) {
                metrics.schedulesChanged(pending.ids(), store.schedules(pending.ids()), clock.instant());
            }
        } catch (RuntimeException e) {
            changes.readFailed();
            throw e;
        }
    }
}
