package dev.lanyard.auth;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Duration;
import java.time.Instant;

/** One login token as stored: the identity it stands for, how long it lives, and only the hash of its secret. */
@Entity
@Table(name = "login_token")
class LoginTokenEntity {
    @Id
    String id;

    @Column(nullable = false)
    String subject;

    @Column(name = "secret_hash", nullable = false)
    byte[] secretHash;

    @Column(name = "auth_mount", nullable = false)
    String authMount;

    @Column(nullable = false)
    String role;

    @Column(name = "created_at", nullable = false)
    Instant createdAt;

    @Column(name = "ttl_seconds", nullable = false)
    long ttlSeconds;

    @Column(name = "expires_at", nullable = false)
    Instant expiresAt;

    @Column(name = "max_expires_at", nullable = false)
    Instant maxExpiresAt;

    @Column(name = "last_renewed_at")
    Instant lastRenewedAt;

    @Column(name = "revoked_at")
    Instant revokedAt;

    @Column(name = "revoked_by")
    String revokedBy;

    boolean liveAt(Instant now) {
        return revokedAt == null && now.isBefore(expiresAt);
    }

    LoginToken describe() {
        return new LoginToken(id, subject, authMount, role, createdAt, Duration.ofSeconds(ttlSeconds), expiresAt, maxExpiresAt,
                lastRenewedAt);
    }
}
