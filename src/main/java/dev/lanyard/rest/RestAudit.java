package dev.lanyard.rest;

import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Result;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.auth.RequestContext;
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

    static final Classified RATE_LIMITED = new Classified(429, "RATE_LIMITED", Outcome.DENIED,
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
    Uni<Classified> refusal(String requestId, RequestContext access, String clientAddress, AuditOperation operation,
                            Classified outcome) {
        if (access != null) {
            return append(requestId, access.caller().subject(), access.clientAddress(), operation, Target.none(), outcome)
                    .replaceWith(outcome);
        }
        return switch (anonymous.admit(clientAddress)) {
            case RECORD -> append(requestId, ANONYMOUS, clientAddress, operation, Target.none(), outcome).replaceWith(outcome);
            case RECORD_LIMIT -> append(requestId, ANONYMOUS, clientAddress, operation, Target.none(), RATE_LIMITED)
                    .replaceWith(RATE_LIMITED);
            case LIMITED -> Uni.createFrom().item(RATE_LIMITED);
        };
    }

    /** An administrative operation on a target (tokens, the audit API), answered as {@code outcome}. */
    Uni<Void> operation(RequestContext access, AuditOperation operation, Target target, Classified outcome) {
        return append(access.correlationId(), access.caller().subject(), access.clientAddress(), operation, target, outcome);
    }

    private Uni<Void> append(String requestId, String subject, String clientAddress, AuditOperation operation, Target target,
                             Classified outcome) {
        Result result = outcome.outcome() == Outcome.SUCCESS ? Result.success(outcome.status())
                : Result.failure(outcome.outcome(), outcome.status(), outcome.code());
        return audit.append(AuditEvent.request(clock.instant(), requestId, subject, clientAddress, operation, target, result));
    }

    /** The outcome an auditor sees for a refusal with this status. */
    static Outcome outcomeOf(int status) {
        return switch (status) {
            case 401 -> Outcome.UNAUTHENTICATED;
            case 403, 429 -> Outcome.DENIED;
            case 404 -> Outcome.NOT_FOUND;
            default -> status >= 500 ? Outcome.FAILED : Outcome.INVALID;
        };
    }

    static Classified refused(int status, String code, String detail) {
        return new Classified(status, code, outcomeOf(status), detail);
    }
}
