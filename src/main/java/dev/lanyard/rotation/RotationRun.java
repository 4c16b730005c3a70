package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One rotation of one secret as PostgreSQL holds it. The token is the idempotency token of its put (not a secret: it
 * only ties a version to this run); {@code fromVersion} is the version that was current when it began and
 * {@code pendingVersion} the one its create step made.
 */
public record RotationRun(String id, String scheduleId, SecretRef secret, String strategy, Map<String, Object> parameters,
                          String token, String triggeredBy, RunState state, Step step, int attempt,
                          Optional<String> fromVersion, Optional<String> pendingVersion, Optional<Instant> testedAt,
                          Instant notBefore, Optional<Instant> stepSince, Optional<String> errorCode, Instant createdAt,
                          Optional<Instant> finishedAt) {

    public RotationRun {
        parameters = Map.copyOf(parameters);
    }

    /** The same run, its pending value proven at {@code at}. */
    RotationRun tested(Instant at) {
        return new RotationRun(id, scheduleId, secret, strategy, parameters, token, triggeredBy, state, step, attempt,
                fromVersion, pendingVersion, Optional.of(at), notBefore, stepSince, errorCode, createdAt, finishedAt);
    }

    @Override
    public String toString() {
        return "RotationRun[" + id + " " + secret + " " + state.spelling() + " at " + step.spelling() + "]";
    }
}
