package dev.lanyard.audit;

import java.util.Objects;

/**
 * How an action ended: its {@link Outcome}, the HTTP status the caller was sent (absent for background work), and
 * the stable problem code when it did not succeed.
 */
public record Result(Outcome outcome, Integer status, String errorCode) {

    public Result {
        Objects.requireNonNull(outcome, "outcome");
        if (status != null && (status < 100 || status > 599)) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        if (outcome == Outcome.SUCCESS && errorCode != null) {
            throw new IllegalArgumentException("a success has no error code");
        }
        if (outcome != Outcome.SUCCESS && errorCode == null) {
            throw new IllegalArgumentException("a failure needs its stable error code");
        }
    }

    /** Succeeded, answered with {@code status} (200, 201, 204). */
    public static Result success(int status) {
        return new Result(Outcome.SUCCESS, status, null);
    }

    /** Succeeded, with nobody waiting for an HTTP answer (start-up, rotation, the controller). */
    public static Result success() {
        return new Result(Outcome.SUCCESS, null, null);
    }

    /** Answered {@code status} with the last good value, because of {@code errorCode} (see {@link Outcome#STALE}). */
    public static Result stale(Integer status, String errorCode) {
        return new Result(Outcome.STALE, status, errorCode);
    }

    public static Result failure(Outcome outcome, Integer status, String errorCode) {
        return new Result(outcome, status, errorCode);
    }
}
