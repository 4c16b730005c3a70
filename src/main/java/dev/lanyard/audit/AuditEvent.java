package dev.lanyard.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One audited action: who did what to which target, when, from where, and how it ended. Holds references only (paths,
 * version ids, lease HMACs), never a secret value or a raw lease id. Built with the named constructor for its kind:
 * {@link #request}, {@link #administrative} (Lanyard's own work: start-up, rotation steps), {@link #controllerSync}.
 *
 * @param correlationId the HTTP request id, {@code startup}, a rotation run id or a reconcile id: what ties the
 *                      events of one piece of work together
 * @param subject       the identity that acted ({@code token:ci}, {@code sa:ns/name}, {@code anonymous},
 *                      {@code system})
 * @param credentialId  which credential of that identity: the 16-hex id of the API token it authenticated with, so that
 *                      two tokens issued under one name are told apart; null for ServiceAccounts, Lanyard itself and
 *                      callers nobody verified
 */
public record AuditEvent(
        Instant occurredAt,
        String correlationId,
        ActorKind actorKind,
        String subject,
        String credentialId,
        AuditOperation operation,
        Target target,
        Result result,
        String clientAddress) {

    /** The subject of Lanyard's own actions. */
    public static final String SYSTEM = "system";

    public AuditEvent {
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(correlationId, "correlationId");
        Objects.requireNonNull(actorKind, "actorKind");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(result, "result");
        correlationId = AuditText.clean(correlationId);
        subject = AuditText.clean(subject);
        credentialId = AuditText.clean(credentialId);
        target = new Target(target.kind(), AuditText.clean(target.backend()), AuditText.clean(target.path()),
                AuditText.clean(target.detail()), AuditText.clean(target.version()), AuditText.clean(target.leaseHmac()));
        result = new Result(result.outcome(), result.status(), AuditText.clean(result.errorCode()));
        clientAddress = AuditText.clean(clientAddress);
    }

    /** What a caller of the HTTP API asked (including a refusal before it named anything: {@link Target#none()}). */
    public static AuditEvent request(Instant at, String requestId, String subject, String credentialId, String clientAddress,
                                     AuditOperation operation, Target target, Result result) {
        return new AuditEvent(at, requestId, ActorKind.CALLER, subject, credentialId, operation, target, result, clientAddress);
    }

    /** A fact Lanyard records on its own account: a policy loaded, a token bootstrapped, a checkpoint signed. */
    public static AuditEvent administrative(Instant at, String correlationId, AuditOperation operation, Target target,
                                            Result result) {
        return new AuditEvent(at, correlationId, ActorKind.SYSTEM, SYSTEM, null, operation, target, result, null);
    }

    /** What the Kubernetes controller did for one resource, as the identity that resource names. */
    public static AuditEvent controllerSync(Instant at, String reconcileId, String identity, String credentialId,
                                            AuditOperation operation, Target target, Result result) {
        return new AuditEvent(at, reconcileId, ActorKind.CONTROLLER, identity, credentialId, operation, target, result, null);
    }

    public Outcome outcome() {
        return result.outcome();
    }

    /** The same event ending differently: used when the record must say what was actually sent. */
    public AuditEvent withResult(Result newResult) {
        return new AuditEvent(occurredAt, correlationId, actorKind, subject, credentialId, operation, target, newResult,
                clientAddress);
    }
}
