package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@link LeaseStore} in a map, keyed by fingerprint like the {@code lease} table. */
final class InMemoryLeaseStore implements LeaseStore {

    private final Map<String, LeaseRecord> records = new ConcurrentHashMap<>();

    @Override
    public Uni<Void> recordIssued(LeaseRecord lease) {
        if (records.putIfAbsent(lease.fingerprint(), lease) != null) {
            return Uni.createFrom().failure(new IllegalStateException("duplicate lease fingerprint"));
        }
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

    List<LeaseRecord> all() {
        return List.copyOf(records.values());
    }

    Optional<LeaseRecord> get(String fingerprint) {
        return Optional.ofNullable(records.get(fingerprint));
    }
}
