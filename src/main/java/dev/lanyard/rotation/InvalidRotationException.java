package dev.lanyard.rotation;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/**
 * A schedule or request the rotation engine refuses, with its {@link Refusal} (one of the rotation API's:
 * {@code INVALID_SCHEDULE}, {@code WINDOW_TOO_SHORT}, {@code INVALID_STRATEGY}, {@code STRATEGY_NOT_SUPPORTED},
 * {@code UNKNOWN_SECRET}, {@code ROTATION_NOT_FOUND}, {@code SCHEDULE_EXISTS}, {@code RUN_IN_PROGRESS},
 * {@code RUN_STATE}) and a message safe to show: it names parameters and secrets by reference, never a value.
 */
public final class InvalidRotationException extends RuntimeException implements Refusable {

    private final transient Refusal refusal;

    InvalidRotationException(Refusal refusal, String message) {
        super(message, null, false, false);
        this.refusal = refusal;
    }

    @Override
    public Refusal refusal() {
        return refusal;
    }

    static InvalidRotationException invalidSchedule(String message) {
        return new InvalidRotationException(Refusal.INVALID_SCHEDULE, message);
    }

    static InvalidRotationException invalidStrategy(String message) {
        return new InvalidRotationException(Refusal.INVALID_STRATEGY, message);
    }
}
