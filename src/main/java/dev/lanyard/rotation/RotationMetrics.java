package dev.lanyard.rotation;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rotation engine's meters (README, "Alerts"): runs by outcome, step durations, seconds since each secret last
 * rotated successfully, and runs stuck now. Labels name secrets by reference and steps by name, never a value.
 */
@Singleton
class RotationMetrics {

    private final MeterRegistry meters;
    private final InstantSource clock;
    private final AtomicLong stuck = new AtomicLong();
    private final Map<String, Instant> lastSuccess = new ConcurrentHashMap<>();
    private final Map<String, Duration> intervals = new ConcurrentHashMap<>();

    RotationMetrics(MeterRegistry meters, InstantSource clock) {
        this.meters = meters;
        this.clock = clock;
        Gauge.builder("lanyard.rotation.runs.stuck", stuck, AtomicLong::get)
                .description("Rotation runs marked stuck, waiting for an operator").register(meters);
    }

    void runEnded(RunState outcome) {
        meters.counter("lanyard.rotation.runs", "outcome", outcome.spelling()).increment();
    }

    void step(Step step, String outcome, Duration took) {
        Timer.builder("lanyard.rotation.step.duration").tag("step", step.spelling()).tag("outcome", outcome)
                .register(meters).record(took);
    }

    void stuckNow(long count) {
        stuck.set(count);
    }

    /**
     * The last successful rotation of each scheduled secret, as the schedules record it:
     * {@code lanyard_rotation_last_success_age_seconds}, which the alert LanyardRotationOverdue compares with
     * {@link #interval}.
     */
    void lastSuccess(String secret, Instant at) {
        if (lastSuccess.put(secret, at) == null) {
            Gauge.builder("lanyard.rotation.last.success.age", lastSuccess,
                            all -> Duration.between(all.getOrDefault(secret, clock.instant()), clock.instant()).toMillis() / 1000.0)
                    .tag("secret", secret).baseUnit("seconds")
                    .description("Time since the secret last rotated successfully").register(meters);
        }
    }

    /**
     * How often a scheduled secret is meant to rotate ({@code lanyard_rotation_interval_seconds}): for a cron
     * expression its shortest gap between runs, so an irregular schedule (weekdays only) can look overdue across its
     * long gap — the alert is a ticket, not a page, for that reason.
     */
    void interval(String secret, Duration interval) {
        if (intervals.put(secret, interval) == null) {
            Gauge.builder("lanyard.rotation.interval", intervals, all -> all.getOrDefault(secret, Duration.ZERO).toSeconds())
                    .tag("secret", secret).baseUnit("seconds")
                    .description("How often the secret's schedule rotates it").register(meters);
        }
    }
}
