package dev.lanyard.rotation;

/**
 * A schedule or request the rotation engine refuses, with a stable code the HTTP edge answers with (a 4xx) and a
 * message safe to show: it names parameters and secrets by reference, never a value.
 */
public final class InvalidRotationException extends RuntimeException {

    /** What was wrong; each has one HTTP status at the edge. */
    public enum Code {
        /** The schedule expression is neither a rate nor a cron expression. */
        INVALID_SCHEDULE,
        /** The window is shorter than a run may need, or jitter leaves no time for the run. */
        WINDOW_TOO_SHORT,
        /** The strategy is unknown, or its parameters are wrong. */
        INVALID_STRATEGY,
        /** The secret's backend cannot keep versions and stages there, so it cannot be rotated. */
        STRATEGY_NOT_SUPPORTED,
        /** No such secret (or backend) to rotate. */
        UNKNOWN_SECRET,
        /** No such schedule or run. */
        ROTATION_NOT_FOUND,
        /** The secret already has a schedule. */
        SCHEDULE_EXISTS,
        /** A run of the secret is in progress: one at a time. */
        RUN_IN_PROGRESS,
        /** The run is not in a state that allows this (resume a run that is not stuck or failed, …). */
        RUN_STATE
    }

    private final Code code;

    InvalidRotationException(Code code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    static InvalidRotationException invalidSchedule(String message) {
        return new InvalidRotationException(Code.INVALID_SCHEDULE, message);
    }

    static InvalidRotationException invalidStrategy(String message) {
        return new InvalidRotationException(Code.INVALID_STRATEGY, message);
    }
}
