package dev.lanyard.secret;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How long a value read or issued from a backend may be used, and whether the backend can extend or end it.
 *
 * <p>Three kinds, each with its own constructor:
 * <ul>
 *   <li>{@link #leased}: a credential the backend tracks under a lease id (Vault's dynamic engines); it can be
 *       revoked, and renewed if {@code renewable};</li>
 *   <li>{@link #expiring}: a credential with an expiry but no lease id (STS session credentials, a generated API
 *       key); it can be neither renewed nor revoked through the backend, only left to expire;</li>
 *   <li>{@link #ofStaticValue}: a static secret (KV, local store), with no lifetime of its own: the broker decides how
 *       long to cache it.</li>
 * </ul>
 *
 * @param id        the backend's lease id; empty for the two kinds without one
 * @param ttl       lifetime granted by the backend at {@code issuedAt}; zero for static values
 * @param renewable whether the backend will extend the lease; only a lease with an id can be renewable
 */
public record Lease(Optional<String> id, Instant issuedAt, Duration ttl, boolean renewable) {

    public Lease {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(ttl, "ttl");
        if (id.isPresent() && id.get().isEmpty()) {
            throw new IllegalArgumentException("a lease id is never empty; use expiring() for a credential without one");
        }
        if (renewable && id.isEmpty()) {
            throw new IllegalArgumentException("only a lease with an id can be renewed");
        }
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative");
        }
    }

    /** A credential the backend tracks under {@code id}. */
    public static Lease leased(String id, Instant issuedAt, Duration ttl, boolean renewable) {
        return new Lease(Optional.of(Objects.requireNonNull(id, "id")), issuedAt, ttl, renewable);
    }

    /** A credential that expires {@code ttl} after {@code issuedAt} and has no lease id to renew or revoke it by. */
    public static Lease expiring(Instant issuedAt, Duration ttl) {
        return new Lease(Optional.empty(), issuedAt, ttl, false);
    }

    /** A static value read at {@code readAt}: no lifetime of its own. */
    public static Lease ofStaticValue(Instant readAt) {
        return new Lease(Optional.empty(), readAt, Duration.ZERO, false);
    }

    public Instant expiresAt() {
        return issuedAt.plus(ttl);
    }

    @Override
    public String toString() {
        // A lease id is a bearer handle for renew/revoke, so it is kept out of logs too.
        return "Lease[id=" + (id.isPresent() ? "(masked)" : "none") + ", issuedAt=" + issuedAt + ", ttl=" + ttl
                + ", renewable=" + renewable + "]";
    }
}
