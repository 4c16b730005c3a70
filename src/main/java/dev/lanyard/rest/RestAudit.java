package dev.lanyard.rest;

import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.broker.AccessContext;
import dev.lanyard.broker.Classified;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The one place the HTTP edge builds audit events: refusals made before the broker runs (transport limits,
 * non-canonical paths, unauthenticated callers, bad bodies, unknown routes) and the auditors' own calls. Each
 * event records the status the caller is sent.
 */
@Singleton
class RestAudit {

    static final String ANONYMOUS = "anonymous";

    static final Classified RATE_LIMITED = new Classified(429, "RATE_LIMITED", AuditEvent.Outcome.DENIED,
            "too many refused requests from this address; try again in a minute");

    private final AuditLog audit;
    private final InstantSource clock;
    private final AnonymousRefusals anonymous;

    RestAudit(AuditLog audit, InstantSource clock,
              @ConfigProperty(name = "lanyard.http.anonymous-refusals-per-minute", defaultValue = "60") int perMinute) {
        this.audit = audit;
        this.clock = clock;
        this.anonymous = new AnonymousRefusals(perMinute, clock);
    }

    /**
     * Records a request refused before it reached the broker and answers with what the caller is to be sent:
     * {@code outcome}, or 429 once an unverified address has used its budget of rows ({@link AnonymousRefusals}).
     * {@code access} is null when no caller was verified.
     */
    Uni<Classified> refusal(String requestId, AccessContext access, String clientAddress, String operation, Classified outcome) {
        if (access != null) {
            return append(requestId, access.caller().subject(), operation, null, null, outcome, access.clientAddress())
                    .replaceWith(outcome);
        }
        return switch (anonymous.admit(clientAddress)) {
            case RECORD -> append(requestId, ANONYMOUS, operation, null, null, outcome, clientAddress).replaceWith(outcome);
            case RECORD_LIMIT -> append(requestId, ANONYMOUS, operation, null, null, RATE_LIMITED, clientAddress)
                    .replaceWith(RATE_LIMITED);
            case LIMITED -> Uni.createFrom().item(RATE_LIMITED);
        };
    }

    /** An administrative operation on {@code <backend>/<path>} (tokens, and the audit API below). */
    Uni<Void> operation(AccessContext access, String operation, String backend, String path, Classified outcome) {
        return append(access.requestId(), access.caller().subject(), operation, backend, path, outcome, access.clientAddress());
    }

    /** A call to the audit API itself, on {@code audit/<resource>}. */
    Uni<Void> auditCall(AccessContext access, String operation, String resource, Classified outcome) {
        return append(access.requestId(), access.caller().subject(), operation, "audit", resource, outcome,
                access.clientAddress());
    }

    private Uni<Void> append(String requestId, String subject, String operation, String backend, String path,
                             Classified outcome, String clientAddress) {
        return audit.append(new AuditEvent(clock.instant(), requestId, subject, operation, backend, path, null, null,
                outcome.outcome(), outcome.status(), outcome.code(), clientAddress));
    }

    /** The outcome an auditor sees for a refusal with this status. */
    static AuditEvent.Outcome outcomeOf(int status) {
        return switch (status) {
            case 401 -> AuditEvent.Outcome.UNAUTHENTICATED;
            case 403, 429 -> AuditEvent.Outcome.DENIED;
            case 404 -> AuditEvent.Outcome.NOT_FOUND;
            default -> status >= 500 ? AuditEvent.Outcome.FAILED : AuditEvent.Outcome.INVALID;
        };
    }

    static Classified refused(int status, String code, String detail) {
        return new Classified(status, code, outcomeOf(status), detail);
    }
}
