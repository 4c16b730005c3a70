package dev.lanyard.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One audited access: who did what to which secret, when, from where, and how it ended.
 * Holds references only (path, version id, lease id HMAC), never a secret value or a raw lease id.
 *
 * @param subject   caller identity ({@code token:ci}, {@code sa:ns/name}) or {@code anonymous}
 * @param operation {@code read}, {@code issue}, {@code renew}, {@code revoke}, {@code authenticate}, ...
 * @param status    HTTP status returned to the caller
 * @param errorCode the stable problem code when the outcome is not {@link Outcome#SUCCESS}
 */
public record AuditEvent(
        Instant occurredAt,
        String requestId,
        String subject,
        String operation,
        String backend,
        String path,
        String version,
        String leaseHmac,
        Outcome outcome,
        int status,
        String errorCode,
        String clientAddress) {

    public AuditEvent {
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(outcome, "outcome");
        requestId = AuditText.clean(requestId);
        subject = AuditText.clean(subject);
        operation = AuditText.clean(operation);
        backend = AuditText.clean(backend);
        path = AuditText.clean(path);
        version = AuditText.clean(version);
        leaseHmac = AuditText.clean(leaseHmac);
        errorCode = AuditText.clean(errorCode);
        clientAddress = AuditText.clean(clientAddress);
    }

    /** How an access ended, from the auditor's point of view. */
    public enum Outcome {
        SUCCESS, DENIED, UNAUTHENTICATED, INVALID, NOT_FOUND, FAILED;

        public String spelling() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
