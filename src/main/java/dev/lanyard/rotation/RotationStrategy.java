package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How one kind of secret is rotated: what a new value is and how the system that uses it learns it. The engine owns
 * everything else (staging through the backend SPI, the token, retries, rollback), so a strategy works unchanged on
 * every backend that keeps versions and stages.
 *
 * <p>Each method may block (the engine calls it on a worker thread, under a timeout) and must be idempotent: after a
 * crash the engine calls it again with the same values. A failure is a {@link StepFailure}: retryable (the target is
 * down, the new password is not accepted yet) or not (the current value is not one this strategy can rotate). Its
 * code and message name no value.
 */
interface RotationStrategy {

    /** The spelling in schedules: {@code random}, {@code key-pair}, {@code postgres-single-user} … */
    String name();

    /** Refuses unusable parameters with {@link InvalidRotationException} ({@code INVALID_STRATEGY}). */
    void validate(Map<String, Object> parameters);

    /**
     * Other secrets the parameters name (an administrator login), which the strategy reads: whoever schedules must be
     * allowed to read and rotate them, as the secret itself.
     */
    default List<SecretRef> references(Map<String, Object> parameters) {
        return List.of();
    }

    /** The declared target the parameters name ({@code target}), which the schedule's row and audit events record. */
    default Optional<String> target(Map<String, Object> parameters) {
        return Optional.empty();
    }

    /**
     * Before a step touches anything: refuses with a {@link StepFailure} a run that cannot go on with what it names now
     * (a schedule stored before targets were declared, a target since removed).
     */
    default void ready(StrategyContext context) {}

    /** The create step: a new value, given the current one (kept fields, the user not in use). The caller closes it. */
    SecretValue generate(StrategyContext context, SecretValue current);

    /** The set step: make the target accept {@code pending}. */
    default void set(StrategyContext context, SecretValue pending, SecretValue current) {}

    /** The test step: prove {@code pending} works; until this returns, it is never promoted. */
    void test(StrategyContext context, SecretValue pending);

    /**
     * Rollback after a failed run: the target goes back to how it was before the run, and it is verified that
     * {@code current} logs in. Called again after a crash or a retryable failure, so it must be idempotent.
     *
     * @return a role whose password the run changed and that could not be given back its earlier one, so that nobody
     *     holds its password now; the engine records that before the pending version loses its stage
     */
    default Optional<String> undo(StrategyContext context, Undo undo) {
        return Optional.empty();
    }

    /**
     * What rollback knows: the pending and current values, the previous one when a version holds that stage, and
     * whether a set step ever began (its start is recorded before it touches the target, so when none began the target
     * was not touched).
     */
    record Undo(SecretValue pending, SecretValue current, Optional<SecretValue> previous, boolean setBegan) {}
}
