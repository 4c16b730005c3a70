package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * How one secret rotates: the strategy and its parameters (references only, never a value), when windows open, how
 * long each lasts, how much jitter delays the start inside it, and how the last run ended.
 */
public record RotationSchedule(String id, SecretRef secret, String strategy, Map<String, Object> parameters,
                               String expression, Duration window, Duration jitter, boolean paused,
                               Optional<Instant> nextRunAt, Optional<String> lastRunId, Optional<String> lastOutcome,
                               Optional<Instant> lastFinishedAt, Optional<Instant> lastSuccessAt, String createdBy) {

    public RotationSchedule {
        parameters = Map.copyOf(parameters);
    }
}
