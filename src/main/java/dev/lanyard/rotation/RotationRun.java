package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One rotation of one secret as PostgreSQL holds it. The token is the idempotency token of its put (not a secret: it
 * only ties a version to this run); {@code fromVersion} is the version that was current when it began and
 * {@code pendingVersion} the one its create step made.
 *
 * <p>A run changes only through the transitions below, each naming what it changes; everything else is carried over.
 */
public record RotationRun(String id, String scheduleId, SecretRef secret, String strategy, Map<String, Object> parameters,
                          String token, String triggeredBy, RunState state, Step step, int attempt,
                          Optional<String> fromVersion, Optional<String> pendingVersion, Optional<Instant> testedAt,
                          Instant notBefore, Optional<Instant> stepSince, Optional<String> errorCode, Instant createdAt,
                          Optional<Instant> finishedAt) {

    public RotationRun {
        parameters = Map.copyOf(parameters);
    }

    /** A new run of {@code schedule}, at its create step, due at once. */
    static RotationRun started(RotationSchedule schedule, String triggeredBy, Instant now) {
        return new RotationRun(UUID.randomUUID().toString(), schedule.id(), schedule.secret(), schedule.strategy(),
                schedule.parameters(), UUID.randomUUID().toString(), triggeredBy, RunState.RUNNING, Step.CREATE, 0,
                Optional.empty(), Optional.empty(), Optional.empty(), now, Optional.of(now), Optional.empty(), now,
                Optional.empty());
    }

    /** The same run, at step {@code next} from {@code at}: a first attempt, due at once. */
    RotationRun movedTo(Step next, Instant at) {
        Builder moved = copy();
        moved.state = RunState.RUNNING;
        moved.step = next;
        moved.attempt = 0;
        moved.notBefore = at;
        moved.stepSince = Optional.of(at);
        return moved.build();
    }

    /** The same run, knowing the version it rotates from and the pending version its create step made. */
    RotationRun withVersions(String from, String pending) {
        Builder versioned = copy();
        versioned.fromVersion = Optional.of(from);
        versioned.pendingVersion = Optional.of(pending);
        return versioned.build();
    }

    /** The same run, its pending value proven at {@code at}. */
    RotationRun tested(Instant at) {
        Builder tested = copy();
        tested.testedAt = Optional.of(at);
        return tested.build();
    }

    /** The same step again, as attempt {@code attempt}, not before {@code later}: it failed with {@code code}. */
    RotationRun retryingAt(int attempt, Instant later, StepCode code) {
        Builder retry = copy();
        retry.attempt = attempt;
        retry.notBefore = later;
        retry.errorCode = Optional.of(code.name());
        return retry.build();
    }

    /** The same run, remembering why it failed (the rollback that follows keeps the code). */
    RotationRun failedWith(StepCode code) {
        Builder failed = copy();
        failed.errorCode = Optional.of(code.name());
        return failed.build();
    }

    /** The run over, as {@code state}, at {@code at}; a succeeded run keeps no error code. */
    RotationRun ended(RunState state, Instant at) {
        Builder ended = copy();
        ended.state = state;
        ended.step = Step.DONE;
        ended.errorCode = state == RunState.SUCCEEDED ? Optional.empty() : errorCode;
        ended.finishedAt = Optional.of(at);
        return ended.build();
    }

    @Override
    public String toString() {
        return "RotationRun[" + id + " " + secret + " " + state.spelling() + " at " + step.spelling() + "]";
    }

    private Builder copy() {
        return new Builder(this);
    }

    /** The fields a transition may change; the rest are the run's. */
    private static final class Builder {
        private final RotationRun of;
        private RunState state;
        private Step step;
        private int attempt;
        private Optional<String> fromVersion;
        private Optional<String> pendingVersion;
        private Optional<Instant> testedAt;
        private Instant notBefore;
        private Optional<Instant> stepSince;
        private Optional<String> errorCode;
        private Optional<Instant> finishedAt;

        Builder(RotationRun run) {
            of = run;
            state = run.state;
            step = run.step;
            attempt = run.attempt;
            fromVersion = run.fromVersion;
            pendingVersion = run.pendingVersion;
            testedAt = run.testedAt;
            notBefore = run.notBefore;
            stepSince = run.stepSince;
            errorCode = run.errorCode;
            finishedAt = run.finishedAt;
        }

        RotationRun build() {
            return new RotationRun(of.id, of.scheduleId, of.secret, of.strategy, of.parameters, of.token, of.triggeredBy,
                    state, step, attempt, fromVersion, pendingVersion, testedAt, notBefore, stepSince, errorCode,
                    of.createdAt, finishedAt);
        }
    }
}
