package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a strategy sees of one step of a run: the secret, the schedule's parameters, a way to read the other secrets
 * they name (through the backend SPI, each read recorded in the audit log before the value is handed over; the caller
 * of {@link #read} closes it), and the step's deadline, which everything it starts at a target must end before.
 */
record StrategyContext(SecretRef secret, Map<String, Object> parameters,
                       Function<SecretRef, SecretValue> reader, StepDeadline deadline) {

    SecretValue read(SecretRef ref) {
        return reader.apply(ref);
    }

    Optional<String> text(String name) {
        Object value = parameters.get(name);
        return value == null ? Optional.empty() : Optional.of(String.valueOf(value));
    }
}
