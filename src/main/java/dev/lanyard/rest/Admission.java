package dev.lanyard.rest;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.Authenticator;
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
    record Admitted(AccessContext access, Refused refusal) {
        boolean refused() {
            return refusal != null;
        }
    }

    private final Authenticator authenticator;
    private final AuditedAccess audited;
    private final Tracer tracer;

    Admission(Authenticator authenticator, AuditedAccess audited, Tracer tracer) {
        this.authenticator = authenticator;
        this.audited = audited;
        this.tracer = tracer;
    }

    Uni<Admitted> admit(String requestId, String clientAddress, String authorization) {
        return Spans.around(tracer, "lanyard.authenticate", () -> authenticator.authenticate(authorization))
                .map(caller -> new Admitted(AccessContext.http(caller, requestId, clientAddress), null))
                .onFailure(AuthenticationException.class).recoverWithUni(failure -> {
                    LOG.debugf("request %s: %s", requestId, failure.getMessage());
                    return refuse(requestId, null, clientAddress, AuditOperation.AUTHENTICATE, Refusal.UNAUTHENTICATED, null);
                })
                .onFailure(failure -> !(failure instanceof AuthenticationException)).recoverWithUni(failure -> {
                    // The token store (database) or JWKS could not be consulted: nobody is authenticated, nothing is served.
                    LOG.warnf("request %s: caller could not be verified: %s", requestId, failure.getClass().getSimpleName());
                    return refuse(requestId, null, clientAddress, AuditOperation.AUTHENTICATE,
                            Refusal.AUTHENTICATION_UNAVAILABLE, null);
                });
    }

    /**
     * Refuses a request before it reaches an operation: records it and answers with what the caller is sent (which the
     * anonymous budget may turn into 429, and an audit log that cannot record into 503).
     */
    Uni<Admitted> refuse(String requestId, AccessContext access, String clientAddress, AuditOperation operation,
                         Refusal refusal, String detail) {
        return audited.refuse(requestId, access, clientAddress, operation, refusal, detail)
                .map(sent -> new Admitted(access, sent));
    }

    /** A failure nothing anticipated, before the caller was known: recorded as the request's refusal. */
    Uni<Refused> refuseUnexpected(String requestId, String clientAddress, Throwable failure) {
        return audited.refuseUnexpected(requestId, null, clientAddress, failure);
    }
}
