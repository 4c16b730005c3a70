package dev.lanyard.broker;

import java.time.Duration;
import java.time.Instant;
import java.util.random.RandomGenerator;

/**
 * Computes when a client should come back for a value: at {@code refreshAt} of its lifetime, minus a random
 * share of up to {@code jitter} of the lifetime, so credentials issued together are not refreshed together.
 * Never earlier than issue time, never later than expiry.
 */
final class RefreshSchedule {

    private final double refreshAt;
    private final double jitter;
    private final RandomGenerator random;

    RefreshSchedule(double refreshAt, double jitter, RandomGenerator random) {
        if (!(refreshAt > 0 && refreshAt <= 1 && jitter >= 0 && jitter < refreshAt)) { // also rejects NaN
            throw new IllegalArgumentException("need 0 < refreshAt <= 1 and 0 <= jitter < refreshAt");
        }
        this.refreshAt = refreshAt;
        this.jitter = jitter;
        this.random = random;
    }

    Instant refreshAfter(Instant issuedAt, Duration lifetime) {
        long millis = lifetime.toMillis();
        double share = refreshAt - jitter * random.nextDouble();
        return issuedAt.plusMillis((long) (millis * share));
    }
}
