package dev.lanyard.it;

import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock of the application under integration test: the system clock plus an offset that tests move forward
 * instead of sleeping (expiry, cache TTLs). It only ever moves forward, so timestamps in the audit log stay in order.
 */
@Alternative
@Priority(1)
@Singleton
public class MovableClock implements InstantSource {

    private static final AtomicReference<Duration> OFFSET = new AtomicReference<>(Duration.ZERO);

    /** Moves the application's clock forward by {@code by}. */
    public static void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("the clock only moves forward");
        }
        OFFSET.updateAndGet(offset -> offset.plus(by));
    }

    /** What the application's clock reads now: tests compare timestamps against this, not the system clock. */
    public static Instant now() {
        return Instant.now().plus(OFFSET.get());
    }

    @Override
    public Instant instant() {
        return now();
    }
}
