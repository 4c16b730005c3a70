package dev.lanyard.rest;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretRef;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Identifiers from the caller that reach an audit field or a database query are checked here, at the edge,
 * before anything stores or compares them: a value that could not be recorded faithfully is refused, not stored.
 */
final class Identifiers {

    static final Pattern BACKEND = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    static final int MAX_FILTER_LENGTH = 512;

    private Identifiers() {}

    /** A backend named in the URL path; a bad name is a bad path (400 {@code INVALID_PATH}). */
    static SecretRef secret(String backend, String path) {
        if (backend == null || !BACKEND.matcher(backend).matches()) {
            throw new InvalidSecretPathException("a backend name is 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        return SecretRef.of(backend, path);
    }

    /** A backend named in a query parameter (400 {@code INVALID_QUERY}). */
    static Optional<String> backendFilter(String name, String value) {
        Optional<String> given = filter(name, value);
        if (given.isPresent() && !BACKEND.matcher(given.get()).matches()) {
            throw new InvalidQueryException(name + " must be a backend name: 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        return given;
    }

    /** A free-text filter: printable, at most {@value #MAX_FILTER_LENGTH} characters; empty means absent. */
    static Optional<String> filter(String name, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (value.length() > MAX_FILTER_LENGTH || !EdgeScreening.isPrintableText(value)) {
            throw new InvalidQueryException(name + " must be at most " + MAX_FILTER_LENGTH
                    + " printable characters, without control characters");
        }
        return Optional.of(value);
    }
}
