package dev.lanyard.auth;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

/** API tokens in PostgreSQL, through Hibernate Reactive. */
@ApplicationScoped
class ApiTokenRepository implements PanacheRepositoryBase<ApiTokenEntity, String> {

    @WithSession
    Uni<ApiTokenEntity> byId(String id) {
        return findById(id);
    }

    @WithSession
    Uni<List<ApiTokenEntity>> all() {
        return listAll();
    }

    @WithTransaction
    Uni<ApiTokenEntity> insert(ApiTokenEntity token) {
        return persist(token);
    }

    /**
     * Stores a token unless one with its id exists: two replicas starting at once with the same bootstrap configuration
     * both get here, and neither may fail.
     *
     * @return whether this call stored it
     */
    @WithTransaction
    Uni<Boolean> insertIfAbsent(ApiTokenEntity token) {
        return getSession().chain(session -> session.createNativeQuery("insert into api_token (id, name, secret_hash, "
                        + "created_at, created_by) values (?1, ?2, ?3, ?4, ?5) on conflict (id) do nothing")
                .setParameter(1, token.id).setParameter(2, token.name).setParameter(3, token.secretHash)
                .setParameter(4, token.createdAt).setParameter(5, token.createdBy)
                .executeUpdate()).map(inserted -> inserted == 1);
    }

    /** Revokes a live token; empty when there is none by that id (or it is already revoked). */
    @WithTransaction
    Uni<Integer> revoke(String id, String by, Instant at) {
        return update("revokedAt = ?1, revokedBy = ?2 where id = ?3 and revokedAt is null", at, by, id);
    }

    /** Live tokens the bootstrap configuration created for a name: the ones a new configured value replaces. */
    @WithTransaction
    Uni<Integer> revokeBootstrapped(String name, String exceptId, String by, Instant at) {
        return update("revokedAt = ?1, revokedBy = ?2 where name = ?3 and id <> ?4 and createdBy = 'bootstrap' and revokedAt is null",
                at, by, name, exceptId);
    }
}
