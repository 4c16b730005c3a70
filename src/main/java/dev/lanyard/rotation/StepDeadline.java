package dev.lanyard.rotation;

import java.time.Duration;

/**
 * When the engine stops waiting for the step in progress ({@code lanyard.rotation.step-timeout} after it began). What
 * a step starts at a target must end there before this, or the engine could retry or roll back while a change it
 * abandoned is still on its way (docs/rotation.md). Measured on the monotonic clock: it bounds real waiting on a
 * network, not a schedule.
 */
record StepDeadline(long nanos, Duration length) {

    static StepDeadline in(Duration length) {
        return new StepDeadline(System.nanoTime() + length.toNanos(), length);
    }

    Duration remaining() {
        return Duration.ofNanos(nanos - System.nanoTime());
    }
}
