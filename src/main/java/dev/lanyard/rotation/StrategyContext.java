package dev.lanyard.rotation;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What a strategy sees of one run: the secret, the schedule's parameters, and a way to read the other secrets they
 * name (through the backend SPI; the caller of {@link #read} closes the value).
 */
record StrategyContext(SecretRef secret, Map<String, Object> parameters, Function<SecretRef, SecretValue> reader) {

    SecretValue read(SecretRef ref) {
        return reader.apply(ref);
    }

    Optional<String> text(String name) {
        Object value = parameters.get(name);
        return value == null ? Optional.empty() : Optional.of(String.valueOf(value));
    }
}
