package dev.lanyard.rotation;

import dev.lanyard.access.Refusal;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Rotation as callers manage it: schedules (create, update, pause, resume, delete, list), runs asked for now, a run's
 * steps, and the operator's way out of a stuck run. Everything is checked before it is stored, so a schedule that
 * exists can run: the strategy and its parameters, the expression, the window against the run budget, and that the
 * secret exists in a backend that can stage its versions. Blocking: call it off the event loop.
 */
@Singleton
public class Rotations {

    private final RotationStore store;
    private final Strategies strategies;
    private final BackendRegistry backends;
    private final Windows windows;
    private final RotationConfig config;
    private final InstantSource clock;

    Rotations(RotationStore store, Strategies strategies, BackendRegistry backends, Windows windows, RotationConfig config,
              InstantSource clock) {
        this.store = store;
        this.strategies = strategies;
        this.backends = backends;
        this.windows = windows;
        this.config = config;
        this.clock = clock;
    }

    /**
     * The other secrets a schedule's strategy reads (an administrator login): whoever schedules it must be allowed to
     * read and rotate them, as the secret itself.
     */
    public List<SecretRef> references(ScheduleSpec spec) {
        return strategy(spec).references(spec.parameters());
    }

    /** The declared target the schedule's strategy logs in to, if it has one: recorded on its row and audit events. */
    public Optional<String> target(ScheduleSpec spec) {
        return strategy(spec).target(spec.parameters());
    }

    public RotationSchedule create(SecretRef secret, ScheduleSpec spec, String by) {
        validate(secret, spec);
        Instant now = clock.instant();
        RotationSchedule schedule = new RotationSchedule(UUID.randomUUID().toString(), secret, spec.strategy(),
                spec.parameters(), spec.expression(), spec.window(), spec.jitter(), false, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), by);
        store.insertSchedule(schedule, target(spec).orElse(null), windows.after(schedule, now), now);
        return find(schedule.id());
    }

    public RotationSchedule update(String id, ScheduleSpec spec) {
        RotationSchedule old = find(id);
        validate(old.secret(), spec);
        RotationSchedule changed = new RotationSchedule(id, old.secret(), spec.strategy(), spec.parameters(), spec.expression(),
                spec.window(), spec.jitter(), old.paused(), old.nextRunAt(), old.lastRunId(), old.lastOutcome(),
                old.lastFinishedAt(), old.lastSuccessAt(), old.createdBy());
        store.updateSchedule(changed, target(spec).orElse(null), windows.next(changed), clock.instant());
        return find(id);
    }

    public RotationSchedule pause(String id) {
        RotationSchedule schedule = find(id);
        store.setPaused(id, true, new RotationStore.Window(null, null), clock.instant());
        return find(schedule.id());
    }

    public RotationSchedule resume(String id) {
        RotationSchedule schedule = find(id);
        store.setPaused(id, false, windows.next(schedule), clock.instant());
        return find(id);
    }

    /** @throws InvalidRotationException {@code RUN_IN_PROGRESS}: a live run would be left half done */
    public void delete(String id) {
        RotationSchedule schedule = find(id);
        if (schedule.lastRunId().flatMap(store::run).filter(run -> run.state() == RunState.RUNNING
                || run.state() == RunState.STUCK).isPresent()) {
            throw new InvalidRotationException(Refusal.RUN_IN_PROGRESS, "a run of this secret is in progress; let it end first");
        }
        store.deleteSchedule(id);
    }

    public Optional<RotationSchedule> schedule(String id) {
        return store.schedule(id);
    }

    public RotationSchedule find(String id) {
        return store.schedule(id).orElseThrow(() -> new InvalidRotationException(Refusal.ROTATION_NOT_FOUND, "no such schedule"));
    }

    public List<RotationSchedule> schedules() {
        return store.schedules();
    }

    /** Starts a run now, whatever the schedule says (paused included): "rotate now". */
    public RotationRun trigger(String id, String by) {
        return store.trigger(find(id), by, clock.instant());
    }

    public List<RotationRun> runs(String scheduleId, int limit) {
        return store.runs(find(scheduleId).id(), limit);
    }

    public RotationRun run(String scheduleId, String runId) {
        return store.run(runId).filter(run -> run.scheduleId().equals(scheduleId))
                .orElseThrow(() -> new InvalidRotationException(Refusal.ROTATION_NOT_FOUND, "no such run"));
    }

    public List<RunStep> steps(String runId) {
        return store.steps(runId);
    }

    /**
     * An operator's decision on a stuck run: carry on from the step it was in (the target came back), or roll it back.
     *
     * @throws InvalidRotationException {@code RUN_STATE} when the run is not stuck
     */
    public RotationRun recover(String scheduleId, String runId, boolean rollback) {
        RotationRun run = run(scheduleId, runId);
        Step step = rollback ? Step.ROLLBACK : run.step();
        if (run.state() != RunState.STUCK || !store.release(runId, step, clock.instant())) {
            throw new InvalidRotationException(Refusal.RUN_STATE, "only a stuck run can be resumed or rolled back");
        }
        return run(scheduleId, runId);
    }

    private RotationStrategy strategy(ScheduleSpec spec) {
        return strategies.find(spec.strategy()).orElseThrow(() -> InvalidRotationException.invalidStrategy(
                "unknown strategy; known: " + String.join(", ", strategies.names())));
    }

    private void validate(SecretRef secret, ScheduleSpec spec) {
        strategy(spec).validate(spec.parameters());
        ScheduleExpression expression = ScheduleExpression.parse(spec.expression());
        if (spec.window().compareTo(config.runBudget()) < 0) {
            throw new InvalidRotationException(Refusal.WINDOW_TOO_SHORT, "the window is shorter than a run may need ("
                    + config.runBudget().toSeconds() + " s, lanyard.rotation.run-budget)");
        }
        if (spec.jitter().isNegative() || spec.jitter().compareTo(spec.window().minus(config.runBudget())) > 0) {
            throw new InvalidRotationException(Refusal.WINDOW_TOO_SHORT,
                    "the jitter leaves the run less than its budget of the window");
        }
        Duration between = expression.shortestInterval(clock.instant());
        if (spec.window().compareTo(between) > 0) {
            throw InvalidRotationException.invalidSchedule("the window is longer than the time between two windows");
        }
        SecretBackend backend = backends.find(secret.backend())
                .orElseThrow(() -> new InvalidRotationException(Refusal.UNKNOWN_SECRET, "no backend of that name"));
        if (!backend.capabilities().containsAll(RotationEngine.NEEDED)) {
            throw new InvalidRotationException(Refusal.STRATEGY_NOT_SUPPORTED,
                    "backend " + backend.name() + " cannot write and stage versions, so it cannot rotate");
        }
        try {
            backend.versions(secret.path()).await().atMost(Duration.ofSeconds(15));
        } catch (SecretNotFoundException e) {
            throw new InvalidRotationException(Refusal.UNKNOWN_SECRET, "no such secret: create its first version, then schedule it");
        } catch (UnsupportedBackendOperationException e) {
            throw new InvalidRotationException(Refusal.STRATEGY_NOT_SUPPORTED,
                    "backend " + backend.name() + " cannot stage versions on this path");
        }
    }
}
