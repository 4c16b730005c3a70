package dev.lanyard.secret;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A backend's promise that a credential stays valid until {@link #expiresAt()}.
 *
 * @param id        the backend's lease id; empty for values that are not leased (KV, local store)
 * @param ttl       lease duration granted by the backend at {@code issuedAt}
 * @param renewable whether the backend will extend the lease
 */
public record Lease(Optional<String> id, Instant issuedAt, Duration ttl, boolean renewable) {

    public Lease {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(ttl, "ttl");
    }

    public static Lease of(String id, Instant issuedAt, Duration ttl, boolean renewable) {
        return new Lease(Optional.ofNullable(id).filter(s -> !s.isEmpty()), issuedAt, ttl, renewable);
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
