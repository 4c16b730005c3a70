package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Durable record of issued leases: who holds which, until when. Shared by all replicas. */
public interface LeaseStore {

    /**
     * Takes one of {@code owner}'s {@code cap} places for a credential about to be issued, atomically across replicas:
     * the count of live leases and live reservations, and the new reservation, happen under one per-owner lock. The
     * reservation counts until it is confirmed, released, or {@code holdFor} passes (a replica that died mid-issue
     * frees its place then).
     *
     * @return the reservation's id, or empty when the owner already holds {@code cap}
     */
    Uni<Optional<String>> reserve(String owner, int cap, Instant now, Duration holdFor);

    /** Turns a reservation into the issued lease's record. */
    Uni<Void> confirm(String reservation, LeaseRecord lease);

    /** Gives a reservation's place back (the issue failed). */
    Uni<Void> release(String reservation, Instant now);

    Uni<Optional<LeaseRecord>> find(String fingerprint);

    Uni<Void> recordRenewed(String fingerprint, Instant expiresAt);

    Uni<Void> recordRevoked(String fingerprint, Instant revokedAt);

    Uni<Long> countLive(String owner, Instant now);

    /** How many owners hold at least {@code threshold} live leases (for the near-the-cap metric). */
    Uni<Long> ownersHoldingAtLeast(long threshold, Instant now);
}
