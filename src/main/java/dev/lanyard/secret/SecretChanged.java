package dev.lanyard.secret;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One secret changed through Lanyard: a version was written, a rotation finished, or a lease issued from it was
 * revoked. The broker announces it (a CDI event, fired synchronously once the change is durable at the backend) after
 * dropping its own cached copies; observers relay it to the other replicas and refresh the Kubernetes Secrets that
 * reference the secret. It carries no value, no lease id and no token, so it may be logged, relayed and audited.
 *
 * @param ref     the secret; for a revoked lease, the role path it was issued from
 * @param cause   what happened
 * @param version the version now current, when the change made one
 * @param lease   the revoked lease's fingerprint, for {@link Cause#LEASE_REVOKED}
 * @param origin  whether the change happened on this replica or was relayed from another
 * @param at      when the replica that made the change saw it complete
 */
public record SecretChanged(SecretRef ref, Cause cause, Optional<String> version, Optional<String> lease,
                            Origin origin, Instant at) {

    public enum Cause {
        /** A caller wrote a new current version through {@code PUT /v1/secrets/…}. */
        WRITTEN,
        /** A rotation run finished: a new version became current. */
        ROTATED,
        /** A lease issued from the role was revoked before it expired. */
        LEASE_REVOKED
    }

    public enum Origin { THIS_REPLICA, OTHER_REPLICA }

    public SecretChanged {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(origin, "origin");
        Objects.requireNonNull(at, "at");
        if (lease.isPresent() != (cause == Cause.LEASE_REVOKED)) {
            throw new IllegalArgumentException("a lease fingerprint belongs to a revoked lease, and only there");
        }
    }

    public static SecretChanged written(SecretRef ref, String version, Instant at) {
        return new SecretChanged(ref, Cause.WRITTEN, Optional.of(version), Optional.empty(), Origin.THIS_REPLICA, at);
    }

    public static SecretChanged rotated(SecretRef ref, String version, Instant at) {
        return new SecretChanged(ref, Cause.ROTATED, Optional.of(version), Optional.empty(), Origin.THIS_REPLICA, at);
    }

    public static SecretChanged leaseRevoked(SecretRef ref, String leaseFingerprint, Instant at) {
        return new SecretChanged(ref, Cause.LEASE_REVOKED, Optional.empty(), Optional.of(leaseFingerprint),
                Origin.THIS_REPLICA, at);
    }

    /** The same change as another replica learns of it from the relay. */
    public SecretChanged relayed() {
        return new SecretChanged(ref, cause, version, lease, Origin.OTHER_REPLICA, at);
    }

    public boolean local() {
        return origin == Origin.THIS_REPLICA;
    }
}
