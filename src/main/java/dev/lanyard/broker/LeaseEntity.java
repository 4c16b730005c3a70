package dev.lanyard.broker;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

@Entity
@Table(name = "lease")
class LeaseEntity {
    @Id
    String fingerprint;

    @Column(nullable = false)
    String owner;

    @Column(nullable = false)
    String backend;

    @Column(nullable = false)
    String path;

    @Column(name = "issued_at", nullable = false)
    Instant issuedAt;

    @Column(name = "expires_at", nullable = false)
    Instant expiresAt;

    @Column(name = "revoked_at")
    Instant revokedAt;

    LeaseRecord toRecord() {
        return new LeaseRecord(fingerprint, owner, backend, path, issuedAt, expiresAt, revokedAt);
    }
}
