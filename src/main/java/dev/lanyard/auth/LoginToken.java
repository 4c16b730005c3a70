package dev.lanyard.auth;

import java.time.Duration;
import java.time.Instant;

/**
 * What may be shown of a login token: never its secret or hash.
 *
 * @param id           public, the token's accessor
 * @param subject      the ServiceAccount it stands for ({@code sa:<namespace>/<name>})
 * @param authMount    the login path it came from ({@code kubernetes} for {@code auth/kubernetes/login})
 * @param role         the role the login named; recorded, policies bind {@code subject}
 * @param ttl          the lifetime it was issued with, and what a renewal grants when none is asked for
 * @param maxExpiresAt no renewal takes it past this
 */
public record LoginToken(String id, String subject, String authMount, String role, Instant createdAt, Duration ttl,
                         Instant expiresAt, Instant maxExpiresAt, Instant lastRenewedAt) {

    /** Whether a renewal could still extend it. */
    public boolean renewableAt(Instant now) {
        return now.isBefore(expiresAt) && expiresAt.isBefore(maxExpiresAt);
    }
}
