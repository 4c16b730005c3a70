package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Instant;
import java.util.Optional;

/** Durable record of issued leases: who holds which, until when. Shared by all replicas. */
public interface LeaseStore {

    Uni<Void> recordIssued(LeaseRecord lease);

    Uni<Optional<LeaseRecord>> find(String fingerprint);

    Uni<Void> recordRenewed(String fingerprint, Instant expiresAt);

    Uni<Void> recordRevoked(String fingerprint, Instant revokedAt);

    Uni<Long> countLive(String owner, Instant now);
}
