package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.lanyard.secret.Lease;
import java.time.Instant;

/** A lease after renewal. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LeaseResponse(String leaseId, boolean renewable, long ttl, Instant expiresAt) {
    static LeaseResponse of(String leaseId, Lease lease) {
        return new LeaseResponse(leaseId, lease.renewable(), lease.ttl().toSeconds(), lease.expiresAt());
    }
}
