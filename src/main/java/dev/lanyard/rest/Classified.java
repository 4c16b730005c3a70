package dev.lanyard.rest;

import dev.lanyard.audit.Outcome;
import dev.lanyard.broker.Failures;
import dev.lanyard.rotation.InvalidRotationException;
import java.util.Map;

/**
 * A failure as the HTTP edge answers it: status, stable code, the auditor's outcome and a detail safe to show. The
 * outcome and code come from {@link Failures}; the status for each code is decided here, and only here.
 */
public record Classified(int status, String code, Outcome outcome, String message) {

    public static final Classified SUCCESS = success(200);

    /** The HTTP status of each problem code the broker, the backends and authentication produce. */
    private static final Map<String, Integer> STATUS = Map.ofEntries(
            Map.entry("UNAUTHENTICATED", 401),
            Map.entry("AUTHENTICATION_UNAVAILABLE", 503),
            Map.entry("ACCESS_DENIED", 403),
            Map.entry("INVALID_PATH", 400),
            Map.entry("BACKEND_NOT_FOUND", 404),
            Map.entry("SECRET_NOT_FOUND", 404),
            Map.entry("LEASE_NOT_FOUND", 404),
            Map.entry("TOKEN_NOT_FOUND", 404),
            Map.entry("OPERATION_NOT_SUPPORTED", 422),
            Map.entry("LEASE_LIMIT_EXCEEDED", 429),
            Map.entry("WRITE_CONFLICT", 409),
            Map.entry("BACKEND_REJECTED", 502),
            Map.entry("BACKEND_UNAVAILABLE", 503),
            Map.entry("AUDIT_UNAVAILABLE", 503),
            Map.entry("INVALID_SCHEDULE", 400),
            Map.entry("WINDOW_TOO_SHORT", 400),
            Map.entry("INVALID_STRATEGY", 400),
            Map.entry("UNKNOWN_SECRET", 404),
            Map.entry("ROTATION_NOT_FOUND", 404),
            Map.entry("SCHEDULE_EXISTS", 409),
            Map.entry("RUN_IN_PROGRESS", 409),
            Map.entry("RUN_STATE", 409),
            Map.entry("STRATEGY_NOT_SUPPORTED", 422),
            Map.entry("INTERNAL_ERROR", 500));

    /** A success answered with {@code status} (200, 201, 204). */
    public static Classified success(int status) {
        return new Classified(status, null, Outcome.SUCCESS, null);
    }

    public static Classified of(Throwable failure) {
        if (failure == null) {
            return SUCCESS;
        }
        if (failure instanceof InvalidRotationException invalid) {
            String code = invalid.code().name();
            Outcome outcome = status(code) == 404 ? Outcome.NOT_FOUND : Outcome.INVALID;
            return new Classified(status(code), code, outcome, invalid.getMessage());
        }
        Failures.Refusal refusal = Failures.of(failure);
        return new Classified(status(refusal.code()), refusal.code(), refusal.outcome(), refusal.detail());
    }

    /** The status a problem code is answered with; what RequestContext.Answer tells the broker. */
    static int status(String code) {
        return STATUS.getOrDefault(code, 500);
    }

    /** The answer for a request: a problem code's status, or the success status when there is none. */
    static int answer(String code, int successStatus) {
        return code == null ? successStatus : status(code);
    }
}
