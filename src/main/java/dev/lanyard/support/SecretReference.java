package dev.lanyard.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Resolves a secret named in configuration by reference, never by value: {@code file:/path/to/file}
 * or {@code env:VARIABLE}. Keeping literal secrets out of configuration files means they do not end up in
 * ConfigMaps, dumps of the effective configuration or version control.
 */
public final class SecretReference {

    private final String reference;
    private final Function<String, String> environment;

    private SecretReference(String reference, Function<String, String> environment) {
        this.reference = reference;
        this.environment = environment;
    }

    public static SecretReference parse(String reference) {
        return parse(reference, System.getenv());
    }

    static SecretReference parse(String reference, Map<String, String> environment) {
        if (reference == null || !(reference.startsWith("file:") || reference.startsWith("env:"))) {
            throw new IllegalArgumentException("a secret must be referenced as 'file:<path>' or 'env:<VARIABLE>'");
        }
        return new SecretReference(reference, environment::get);
    }

    /**
     * What start-up reports about the required reference {@code reference}, given as {@code property}: missing, not a
     * reference, or not resolvable; empty when it is usable. Never quotes the referenced value.
     */
    public static Optional<String> problemWithRequired(String property, String reference) {
        if (reference == null) {
            return Optional.of(property + " is required");
        }
        try {
            String problem = parse(reference).problem();
            return problem.isEmpty() ? Optional.empty() : Optional.of(property + ": " + problem);
        } catch (IllegalArgumentException e) {
            return Optional.of(property + ": " + e.getMessage());
        }
    }

    /** Checks the reference can be resolved, without returning the value. Empty string means usable. */
    public String problem() {
        try {
            resolve();
            return "";
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** The referenced value, trimmed of a trailing newline. */
    public String resolve() {
        if (reference.startsWith("env:")) {
            String name = reference.substring(4);
            String value = environment.apply(name);
            if (value == null || value.isEmpty()) {
                throw new IllegalStateException("environment variable " + name + " is not set");
            }
            return value.strip();
        }
        Path file = Path.of(reference.substring(5));
        try {
            String value = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new IllegalStateException("file " + file + " is empty");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalStateException("file " + file + " cannot be read");
        }
    }

    @Override
    public String toString() {
        return reference;
    }
}
