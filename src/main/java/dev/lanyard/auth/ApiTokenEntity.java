package dev.lanyard.auth;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One API token as stored: its public id, the identity name it stands for, and only the hash of its secret. */
@Entity
@Table(name = "api_token")
class ApiTokenEntity {
    @Id
    String id;

    @Column(nullable = false)
    String name;

    @Column(name = "secret_hash", nullable = false)
    byte[] secretHash;

    @Column(name = "created_at", nullable = false)
    Instant createdAt;

    @Column(name = "created_by", nullable = false)
    String createdBy;

    @Column(name = "expires_at")
    Instant expiresAt;

    @Column(name = "revoked_at")
    Instant revokedAt;

    @Column(name = "revoked_by")
    String revokedBy;

    boolean liveAt(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }

    ApiToken describe() {
        return new ApiToken(id, name, createdAt, createdBy, expiresAt, revokedAt, revokedBy);
    }
}
