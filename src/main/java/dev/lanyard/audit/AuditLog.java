package dev.lanyard.audit;

import io.smallrye.mutiny.Uni;

/**
 * The port every audited path writes through. Implementations complete the returned {@link Uni} only once the
 * event is durable; a failure means it is not, and the caller must not release a secret (fail closed).
 */
public interface AuditLog {
    Uni<Void> append(AuditEvent event);
}
