package dev.lanyard.audit;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/**
 * Writes each audit event in its own transaction through Hibernate Reactive. The returned Uni completes after
 * the commit, which PostgreSQL makes durable ({@code synchronous_commit} on), so a response released after it
 * always has its row.
 */
@ApplicationScoped
class TransactionalAuditLog implements AuditLog {

    private static final Logger LOG = Logger.getLogger(TransactionalAuditLog.class);

    @Override
    public Uni<Void> append(AuditEvent event) {
        return Panache.withTransaction(() -> Panache.getSession()
                        .chain(session -> session.persist(AuditEventEntity.from(event))))
                .replaceWithVoid()
                .onFailure().transform(failure -> {
                    LOG.errorf("audit event for request %s could not be written: %s", event.requestId(),
                            failure.getClass().getSimpleName());
                    return new AuditUnavailableException(failure);
                });
    }
}
