package dev.lanyard.broker;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link LeaseStore} in PostgreSQL's {@code lease} table, through Hibernate Reactive. A reservation is a row whose
 * fingerprint is {@code reservation:<uuid>}, owned and counted like a lease until it is confirmed or expires.
 */
@ApplicationScoped
class DatabaseLeaseStore implements LeaseStore {

    private static final String RESERVATION = "reservation:";

    @Override
    public Uni<Optional<String>> reserve(String owner, int cap, Instant now, Duration holdFor) {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s
                // One owner's reservations are serialised across replicas; other owners never wait for them.
                .createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
                .setParameter(1, "lanyard-lease-cap:" + owner)
                .getSingleResult()
                .chain(() -> s.createSelectionQuery("select count(*) from LeaseEntity where owner = ?1 and revokedAt is null "
                                + "and expiresAt > ?2", Long.class)
                        .setParameter(1, owner).setParameter(2, now).getSingleResult())
                .chain(live -> {
                    if (live >= cap) {
                        return Uni.createFrom().item(Optional.<String>empty());
                    }
                    LeaseEntity row = new LeaseEntity();
                    row.fingerprint = RESERVATION + UUID.randomUUID();
                    row.owner = owner;
                    row.backend = "lanyard";
                    row.path = "reservation";
                    row.issuedAt = now;
                    row.expiresAt = now.plus(holdFor);
                    return s.persist(row).replaceWith(Optional.of(row.fingerprint));
                })));
    }

    @Override
    public Uni<Void> confirm(String reservation, LeaseRecord lease) {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createMutationQuery(
                        "update LeaseEntity set fingerprint = ?1, backend = ?2, path = ?3, issuedAt = ?4, expiresAt = ?5 "
                                + "where fingerprint = ?6")
                .setParameter(1, lease.fingerprint()).setParameter(2, lease.backend()).setParameter(3, lease.path())
                .setParameter(4, lease.issuedAt()).setParameter(5, lease.expiresAt()).setParameter(6, reservation)
                .executeUpdate())).replaceWithVoid();
    }

    @Override
    public Uni<Void> release(String reservation, Instant now) {
        return update("update LeaseEntity set expiresAt = ?1 where fingerprint = ?2", now, reservation);
    }

    @Override
    public Uni<Optional<LeaseRecord>> find(String fingerprint) {
        return Panache.withSession(() -> Panache.getSession()
                .chain(s -> s.find(LeaseEntity.class, fingerprint))
                .map(row -> Optional.ofNullable(row).map(LeaseEntity::toRecord)));
    }

    @Override
    public Uni<Void> recordRenewed(String fingerprint, Instant expiresAt) {
        return update("update LeaseEntity set expiresAt = ?1 where fingerprint = ?2", expiresAt, fingerprint);
    }

    @Override
    public Uni<Void> recordRevoked(String fingerprint, Instant revokedAt) {
        return update("update LeaseEntity set revokedAt = ?1 where fingerprint = ?2 and revokedAt is null",
                revokedAt, fingerprint);
    }

    @Override
    public Uni<Long> countLive(String owner, Instant now) {
        return Panache.withSession(() -> Panache.getSession().chain(s -> s
                .createSelectionQuery("select count(*) from LeaseEntity where owner = ?1 and revokedAt is null and expiresAt > ?2",
                        Long.class)
                .setParameter(1, owner)
                .setParameter(2, now)
                .getSingleResult()));
    }

    @Override
    public Uni<Long> ownersHoldingAtLeast(long threshold, Instant now) {
        return Panache.withSession(() -> Panache.getSession().chain(s -> s
                .createSelectionQuery("select owner from LeaseEntity where revokedAt is null and expiresAt > ?1"
                        + " group by owner having count(*) >= ?2", String.class)
                .setParameter(1, now)
                .setParameter(2, threshold)
                .getResultList()))
                .map(owners -> (long) owners.size());
    }

    private Uni<Void> update(String hql, Object first, Object second) {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createMutationQuery(hql)
                .setParameter(1, first)
                .setParameter(2, second)
                .executeUpdate())).replaceWithVoid();
    }
}
