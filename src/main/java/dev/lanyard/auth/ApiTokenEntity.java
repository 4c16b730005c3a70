package dev.lanyard.auth;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "api_token")
class ApiTokenEntity {
    @Id
    String id;

    @Column(nullable = false, unique = true)
    String name;

    @Column(name = "secret_hash", nullable = false)
    byte[] secretHash;

    @Column(name = "created_at", nullable = false)
    Instant createdAt;

    @Column(name = "revoked_at")
    Instant revokedAt;
}
