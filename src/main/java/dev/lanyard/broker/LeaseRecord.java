package dev.lanyard.broker;

import java.time.Instant;

/**
 * A lease Lanyard issued, keyed by the lease id's fingerprint (the id itself is never stored).
 *
 * @param owner subject of the identity the lease was issued to
 */
public record LeaseRecord(String fingerprint, String owner, String backend, String path, Instant issuedAt,
                          Instant expiresAt, Instant revokedAt) {

    boolean liveAt(Instant now) {
        return revokedAt == null && now.isBefore(expiresAt);
    }
}
