package dev.lanyard.rotation;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * A schedule as a caller declares it: the strategy and its parameters, when windows open ({@code rate(…)} or cron),
 * how long each lasts and how much of it jitter may use.
 */
public record ScheduleSpec(String strategy, Map<String, Object> parameters, String expression, Duration window,
                           Duration jitter) {
    public ScheduleSpec {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(window, "window");
        parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
        jitter = jitter == null ? Duration.ZERO : jitter;
    }
}
