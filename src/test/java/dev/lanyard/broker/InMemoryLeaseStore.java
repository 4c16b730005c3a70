package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/** {@link LeaseStore} in a map, keyed by fingerprint like the {@code lease} table. */
final class InMemoryLeaseStore implements LeaseStore {

    private final Map<String, LeaseRecord> records = new ConcurrentHashMap<>();

    /** The database serialises one owner's reservations with a lock; here a monitor does. */
    @Override
    public synchronized Uni<Optional<String>> reserve(String owner, int cap, Instant now, Duration holdFor) {
        long live = records.values().stream().filter(r -> r.owner().equals(owner) && r.liveAt(now)).count();
        if (live >= cap) {
            return Uni.createFrom().item(Optional.empty());
        }
        String id = "reservation:" + UUID.randomUUID();
        records.put(id, new LeaseRecord(id, owner, "lanyard", "reservation", now, now.plus(holdFor), null));
        return Uni.createFrom().item(Optional.of(id));
    }

    @Override
    public synchronized Uni<Void> confirm(String reservation, LeaseRecord lease) {
        if (records.remove(reservation) == null || records.putIfAbsent(lease.fingerprint(), lease) != null) {
            return Uni.createFrom().failure(new IllegalStateException("unknown reservation or duplicate lease fingerprint"));
        }
        return Uni.createFrom().voidItem();
    }

    @Override
    public synchronized Uni<Void> release(String reservation, Instant now) {
        records.computeIfPresent(reservation, (k, r) -> new LeaseRecord(r.fingerprint(), r.owner(), r.backend(), r.path(),
                r.issuedAt(), now, r.revokedAt()));
        return Uni.createFrom().voidItem();
    }

    @Override
    public Uni<Optional<LeaseRecord>> find(String fingerprint) {
        return Uni.createFrom().item(Optional.ofNullable(records.get(fingerprint)));
    }

    @Override
    public Uni<Void> recordRenewed(String fingerprint, Instant expiresAt) {
        records.computeIfPresent(fingerprint, (k, r) -> new LeaseRecord(r.fingerprint(), r.owner(), r.backend(), r.path(),
                r.issuedAt(), expiresAt, r.revokedAt()));
        return Uni.createFrom().voidItem();
    }

    @Override
    public Uni<Void> recordRevoked(String fingerprint, Instant revokedAt) {
        records.computeIfPresent(fingerprint, (k, r) -> r.revokedAt() != null ? r
                : new LeaseRecord(r.fingerprint(), r.owner(), r.backend(), r.path(), r.issuedAt(), r.expiresAt(), revokedAt));
        return Uni.createFrom().voidItem();
    }

    @Override
    public Uni<Long> countLive(String owner, Instant now) {
        return Uni.createFrom().item(records.values().stream()
                .filter(r -> r.owner().equals(owner) && r.liveAt(now))
                .count());
    }

    @Override
    public Uni<Long> ownersHoldingAtLeast(long threshold, Instant now) {
        return Uni.createFrom().item(all().stream().filter(r -> r.liveAt(now))
                .collect(Collectors.groupingBy(LeaseRecord::owner, Collectors.counting()))
                .values().stream().filter(count -> count >= threshold).count());
    }

    /** Issued leases (reservations are bookkeeping, not leases). */
    List<LeaseRecord> all() {
        return records.values().stream().filter(r -> !r.fingerprint().startsWith("reservation:")).toList();
    }

    Optional<LeaseRecord> get(String fingerprint) {
        return Optional.ofNullable(records.get(fingerprint));
    }
}
