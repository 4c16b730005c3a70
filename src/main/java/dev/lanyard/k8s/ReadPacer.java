package dev.lanyard.k8s;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Caps the controller's reads per backend (a token bucket holding one second's worth), so a wave over thousands of
 * resources, or a resync after a restart, cannot hammer a Vault: reads beyond the rate wait their turn on the
 * reconcile threads instead of being refused.
 */
final class ReadPacer {

    private final double perSecond;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    ReadPacer(int perSecond) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("lanyard.k8s.reads-per-second-per-backend must be at least 1");
        }
        this.perSecond = perSecond;
    }

    /** Waits until a read of {@code backend} is within the rate. */
    void acquire(String backend) {
        long waitNanos = buckets.computeIfAbsent(backend, ignored -> new Bucket(perSecond, System.nanoTime())).take(System.nanoTime());
        if (waitNanos > 0) {
            LockSupport.parkNanos(waitNanos);
        }
    }

    private static final class Bucket {
        private final double perSecond;
        private double tokens;
        private long updated;

        Bucket(double perSecond, long now) {
            this.perSecond = perSecond;
            this.tokens = perSecond;
            this.updated = now;
        }

        /** Takes a token, possibly one not yet refilled; returns how long to wait for it. */
        synchronized long take(long now) {
            tokens = Math.min(perSecond, tokens + (now - updated) * perSecond / TimeUnit.SECONDS.toNanos(1));
            updated = now;
            tokens -= 1;
            return tokens >= 0 ? 0 : (long) (-tokens * TimeUnit.SECONDS.toNanos(1) / perSecond);
        }
    }
}
