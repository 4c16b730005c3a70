package dev.lanyard.rest;

import dev.lanyard.audit.AuditOperation;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.Authenticator;
import dev.lanyard.auth.RequestContext;
import dev.lanyard.support.Spans;
import io.opentelemetry.api.trace.Tracer;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The check every API request passes before anything else reads it, whichever layer serves it: the bearer token
 * names a verified caller, or the request is refused, audited, with the status it is sent. Deny by default.
 */
@Singleton
class Admission {

    private static final Logger LOG = Logger.getLogger(Admission.class);

    /** A verified caller's request, or the refusal it was answered with (already audited). */
    record Admitted(RequestContext access, Classified refusal) {
        boolean refused() {
            return refusal != null;
        }
    }

    private final Authenticator authenticator;
    private final RestAudit audit;
    private final Tracer tracer;

    Admission(Authenticator authenticator, RestAudit audit, Tracer tracer) {
        this.authenticator = authenticator;
        this.audit = audit;
        this.tracer = tracer;
    }

    Uni<Admitted> admit(String requestId, String clientAddress, String authorization) {
        return Spans.around(tracer, "lanyard.authenticate", () -> authenticator.authenticate(authorization))
                .map(caller -> new Admitted(RequestContext.http(caller, requestId, clientAddress, Classified::answer), null))
                .onFailure(AuthenticationException.class).recoverWithUni(failure -> {
                    LOG.debugf("request %s: %s", requestId, failure.getMessage());
                    return refuse(requestId, null, clientAddress, AuditOperation.AUTHENTICATE, Classified.of(failure));
                })
                .onFailure(failure -> !(failure instanceof AuthenticationException)).recoverWithUni(failure -> {
                    // The token store (database) or JWKS could not be consulted: nobody is authenticated, nothing is served.
                    LOG.warnf("request %s: caller could not be verified: %s", requestId, failure.getClass().getSimpleName());
                    return refuse(requestId, null, clientAddress, AuditOperation.AUTHENTICATE, RestAudit.refused(503,
                            "AUTHENTICATION_UNAVAILABLE", "callers cannot be verified right now"));
                });
    }

    /**
     * Refuses a request before it reaches the broker: records it and answers with what the caller is sent (which the
     * anonymous budget may turn into 429), or, when not even that could be recorded, with the audit failure.
     */
    Uni<Admitted> refuse(String requestId, RequestContext access, String clientAddress, AuditOperation operation,
                         Classified refusal) {
        return audit.refusal(requestId, access, clientAddress, operation, refusal)
                .onFailure().recoverWithItem(Classified::of)
                .map(sent -> new Admitted(access, sent));
    }
}
