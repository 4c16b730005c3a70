package dev.lanyard.vaultapi;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AccessContext.Channel;
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
 * The check every request of the Vault-compatible API that needs a caller passes first: the token it presents (in
 * {@code X-Vault-Token}, or as a bearer token, as Vault accepts both) names a verified caller, or the request is
 * refused and recorded, with the status sent. The same authenticator and the same audited refusal as the native API's
 * admission; only the header and the channel differ.
 */
@Singleton
class VaultAdmission {

    private static final Logger LOG = Logger.getLogger(VaultAdmission.class);
    static final String TOKEN_HEADER = "X-Vault-Token";

    /** A verified caller's request, or the refusal it was answered with (already recorded). */
    record Admitted(AccessContext access, Refused refusal) {}

    private final Authenticator authenticator;
    private final AuditedAccess audited;
    private final Tracer tracer;

    VaultAdmission(Authenticator authenticator, AuditedAccess audited, Tracer tracer) {
        this.authenticator = authenticator;
        this.audited = audited;
        this.tracer = tracer;
    }

    /** The token a request presents: {@code X-Vault-Token}, else {@code Authorization: Bearer …}; null for none. */
    static String token(String vaultToken, String authorization) {
        if (vaultToken != null && !vaultToken.isBlank()) {
            return vaultToken.trim();
        }
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String bearer = authorization.substring(7).trim();
            return bearer.isEmpty() ? null : bearer;
        }
        return null;
    }

    Uni<Admitted> admit(String requestId, String clientAddress, String token) {
        return Spans.around(tracer, "lanyard.authenticate", () -> authenticator.authenticate(token == null ? null : "Bearer " + token))
                .map(caller -> new Admitted(AccessContext.vault(caller, requestId, clientAddress), null))
                .onFailure(AuthenticationException.class).recoverWithUni(failure -> {
                    LOG.debugf("request %s: %s", requestId, failure.getMessage());
                    return refuse(requestId, clientAddress, Refusal.UNAUTHENTICATED);
                })
                .onFailure(failure -> !(failure instanceof AuthenticationException)).recoverWithUni(failure -> {
                    // The token store or the cluster's keys could not be consulted: nobody is authenticated, nothing is served.
                    LOG.warnf("request %s: caller could not be verified: %s", requestId, failure.getClass().getSimpleName());
                    return refuse(requestId, clientAddress, Refusal.AUTHENTICATION_UNAVAILABLE);
                });
    }

    private Uni<Admitted> refuse(String requestId, String clientAddress, Refusal refusal) {
        return audited.refuse(Channel.VAULT, requestId, null, clientAddress, AuditOperation.AUTHENTICATE, refusal, null)
                .map(sent -> new Admitted(null, sent));
    }
}
