package dev.lanyard.secret;

import java.util.Objects;

/**
 * Which secret, in which backend. Its string form {@code backend/path} is what policies match
 * and what the audit log records.
 */
public record SecretRef(String backend, SecretPath path) {

    public SecretRef {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(path, "path");
    }

    public static SecretRef of(String backend, String path) {
        return new SecretRef(backend, SecretPath.of(path));
    }

    @Override
    public String toString() {
        return backend + "/" + path.value();
    }
}
