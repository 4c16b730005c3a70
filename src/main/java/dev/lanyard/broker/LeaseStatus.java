package dev.lanyard.broker;

import java.time.Instant;

/**
 * What a lease's holder may know of it: when it was issued, when it expires now (after any renewal), and whether its
 * backend renews leases at all.
 */
public record LeaseStatus(Instant issuedAt, Instant expiresAt, boolean renewable) {}
