package dev.lanyard.rotation;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The rotation engine's meters (README, "Alerts"): runs by outcome, step durations, seconds since each secret last
 * rotated successfully and how often it is meant to, and runs stuck now. Labels name secrets by reference and steps
 * by name, never a value. The per-schedule gauges are moved when schedules change (created, updated, deleted, a run
 * ended: {@link ScheduleChanges}), not by reading every schedule on every poll.
 */
@Singleton
class RotationMetrics {

    private static final Logger LOG = Logger.getLogger(RotationMetrics.class);
    private static final String LAST_SUCCESS_AGE = "lanyard.rotation.last.success.age";
    private static final String INTERVAL = "lanyard.rotation.interval";

    private final MeterRegistry meters;
    private final InstantSource clock;
    private final AtomicLong stuck = new AtomicLong();
    private final Map<String, Instant> lastSuccess = new ConcurrentHashMap<>();
    private final Map<String, Duration> intervals = new ConcurrentHashMap<>();
    /** Which secret each schedule's gauges are labelled with. */
    private final Map<String, String> secretOfSchedule = new ConcurrentHashMap<>();

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
     * The per-schedule gauges of exactly these schedules: at start-up, and whenever announced changes may have been
     * missed. Gauges of schedules not among them go.
     */
    void schedulesNow(List<RotationSchedule> all, Instant now) {
        Set<String> present = all.stream().map(RotationSchedule::id).collect(Collectors.toSet());
        secretOfSchedule.keySet().stream().filter(id -> !present.contains(id)).toList().forEach(this::scheduleGone);
        all.forEach(schedule -> schedule(schedule, now));
    }

    /**
     * The per-schedule gauges after PostgreSQL announced changes to {@code ids}: {@code found} are those that still
     * exist; the others were deleted, and their gauges go.
     */
    void schedulesChanged(Set<String> ids, List<RotationSchedule> found, Instant now) {
        Set<String> present = found.stream().map(RotationSchedule::id).collect(Collectors.toSet());
        ids.stream().filter(id -> !present.contains(id)).forEach(this::scheduleGone);
        found.forEach(schedule -> schedule(schedule, now));
    }

    private void schedule(RotationSchedule schedule, Instant now) {
        String secret = schedule.secret().toString();
        String before = secretOfSchedule.put(schedule.id(), secret);
        if (before != null && !before.equals(secret)) {
            dropGauges(before);
        }
        schedule.lastSuccessAt().ifPresent(at -> lastSuccess(secret, at));
        try {
            interval(secret, ScheduleExpression.parse(schedule.expression()).shortestInterval(now));
        } catch (InvalidRotationException e) {
            // Only a row written past the API has an expression it refuses; its run fails the same way.
            LOG.warnf("schedule %s has an expression that does not parse; it has no interval gauge", schedule.id());
        }
    }

    private void scheduleGone(String id) {
        String secret = secretOfSchedule.remove(id);
        // A schedule deleted and made again for the same secret keeps the secret's gauges.
        if (secret != null && !secretOfSchedule.containsValue(secret)) {
            dropGauges(secret);
        }
    }

    private void dropGauges(String secret) {
        lastSuccess.remove(secret);
        intervals.remove(secret);
        for (String name : List.of(LAST_SUCCESS_AGE, INTERVAL)) {
            meters.find(name).tag("secret", secret).meters().forEach(meters::remove);
        }
    }

    /**
     * The last successful rotation of each scheduled secret, as the schedules record it:
     * {@code lanyard_rotation_last_success_age_seconds}, which the alert LanyardRotationOverdue compares with
     * {@link #interval}. Set by the engine at once when a run on this replica succeeds; every replica's follows when
     * the change is announced.
     */
    void lastSuccess(String secret, Instant at) {
        if (lastSuccess.put(secret, at) == null) {
            Gauge.builder(LAST_SUCCESS_AGE, lastSuccess,
                            all -> Duration.between(all.getOrDefault(secret, clock.instant()), clock.instant()).toMillis() / 1000.0)
                    .tag("secret", secret).baseUnit("seconds")
                    .description("Time since the secret last rotated successfully").register(meters);
        }
    }

    /**
     * How often a scheduled secret is meant to rotate ({@code lanyard_rotation_interval_seconds}): for a cron
     * expression its shortest gap between runs near the time the schedule last changed, so an irregular schedule
     * (weekdays only) can look overdue across its long gap — the alert is a ticket, not a page, for that reason.
     */
    private void interval(String secret, Duration interval) {
        if (intervals.put(secret, interval) == null) {
            Gauge.builder(INTERVAL, intervals, all -> all.getOrDefault(secret, Duration.ZERO).toSeconds())
                    .tag("secret", secret).baseUnit("seconds")
                    .description("How often the secret's schedule rotates it").register(meters);
        }
    }
}
