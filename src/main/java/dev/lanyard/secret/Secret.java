package dev.lanyard.secret;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A value read or issued from a backend, with where it came from and how long it may be used.
 *
 * @param version          the backend's version id (KV v2 version, local store version); empty for dynamic credentials
 * @param lease            how long the value is valid; for static secrets a lease with no id and the cache TTL
 * @param versionCreatedAt when the backend stored that version, where the backend says so on a read (KV v2)
 */
public record Secret(SecretRef ref, SecretValue value, Optional<String> version, Lease lease,
                     Optional<Instant> versionCreatedAt) {
    public Secret {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(versionCreatedAt, "versionCreatedAt");
    }

    /** A value whose backend does not say when its version was made. */
    public Secret(SecretRef ref, SecretValue value, Optional<String> version, Lease lease) {
        this(ref, value, version, lease, Optional.empty());
    }
}
