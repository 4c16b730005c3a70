package dev.lanyard.rotation;

import java.time.Instant;
import java.util.Optional;

/**
 * One execution of one step: written when it starts and again when it ends, so a step that has a start and no end is
 * one whose replica died (or is still at it).
 *
 * @param outcome {@code success}, {@code retry} (failed, tried again later) or {@code failed}
 */
public record RunStep(Step step, int attempt, String replica, Instant startedAt, Optional<Instant> endedAt,
                      Optional<String> outcome, Optional<String> errorCode) {}
