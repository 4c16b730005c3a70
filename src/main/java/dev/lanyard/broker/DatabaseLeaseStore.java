package dev.lanyard.broker;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.Optional;

/** {@link LeaseStore} in PostgreSQL's {@code lease} table, through Hibernate Reactive. */
@ApplicationScoped
class DatabaseLeaseStore implements LeaseStore {

    @Override
    public Uni<Void> recordIssued(LeaseRecord lease) {
        LeaseEntity row = new LeaseEntity();
        row.fingerprint = lease.fingerprint();
        row.owner = lease.owner();
        row.backend = lease.backend();
        row.path = lease.path();
        row.issuedAt = lease.issuedAt();
        row.expiresAt = lease.expiresAt();
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.persist(row))).replaceWithVoid();
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

    private Uni<Void> update(String hql, Object first, Object second) {
        return Panache.withTransaction(() -> Panache.getSession().chain(s -> s.createMutationQuery(hql)
                .setParameter(1, first)
                .setParameter(2, second)
                .executeUpdate())).replaceWithVoid();
    }
}
