package dev.lanyard.auth;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;

/** Login tokens in PostgreSQL, through Hibernate Reactive. */
@ApplicationScoped
class LoginTokenRepository implements PanacheRepositoryBase<LoginTokenEntity, String> {

    @WithSession
    Uni<LoginTokenEntity> byId(String id) {
        return findById(id);
    }

    @WithTransaction
    Uni<LoginTokenEntity> insert(LoginTokenEntity token) {
        return persist(token);
    }

    /** Moves a live token's expiry; 0 when it is revoked or has expired by {@code at}. */
    @WithTransaction
    Uni<Integer> renew(String id, Instant expiresAt, Instant at) {
        return update("expiresAt = ?1, lastRenewedAt = ?2 where id = ?3 and revokedAt is null and expiresAt > ?2",
                expiresAt, at, id);
    }

    /** Revokes a token that is not revoked yet; 0 when there is none. */
    @WithTransaction
    Uni<Integer> revoke(String id, String by, Instant at) {
        return update("revokedAt = ?1, revokedBy = ?2 where id = ?3 and revokedAt is null", at, by, id);
    }
}
