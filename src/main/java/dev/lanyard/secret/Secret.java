package dev.lanyard.secret;

import java.util.Objects;
import java.util.Optional;

/**
 * A value read or issued from a backend, with where it came from and how long it may be used.
 *
 * @param version the backend's version id (KV v2 version, local store version); empty for dynamic credentials
 * @param lease   how long the value is valid; for static secrets a lease with no id and the cache TTL
 */
public record Secret(SecretRef ref, SecretValue value, Optional<String> version, Lease lease) {
    public Secret {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(lease, "lease");
    }
}
