package dev.lanyard.rest;

import dev.lanyard.secret.Lease;
import java.time.Instant;

/** A lease after renewal. */
public record LeaseResponse(String leaseId, boolean renewable, long ttl, Instant expiresAt) {
    static LeaseResponse of(String leaseId, Lease lease) {
        return new LeaseResponse(leaseId, lease.renewable(), lease.ttl().toSeconds(), lease.expiresAt());
    }
}
