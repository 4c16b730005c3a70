package dev.lanyard.rest;

import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.Authenticator;
import dev.lanyard.broker.AccessContext;
import dev.lanyard.broker.Classified;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.time.InstantSource;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Runs before routing for every request the REST layer sees, so no endpoint (and no unknown path) is reachable
 * without a verified caller: deny by default. Health, metrics and OpenAPI are served outside this layer.
 *
 * <p>Rejections here are audited like any other access.
 */
public class AccessFilters {

    private static final Logger LOG = Logger.getLogger(AccessFilters.class);

    private final Authenticator authenticator;
    private final AuditLog audit;
    private final InstantSource clock;

    AccessFilters(Authenticator authenticator, AuditLog audit, InstantSource clock) {
        this.authenticator = authenticator;
        this.audit = audit;
        this.clock = clock;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext context, HttpServerRequest request) {
        String requestId = Requests.requestId(context);
        String client = Requests.clientAddress(request);
        if (!isCanonical(request.path())) {
            return reject(requestId, client, "anonymous", "request", 400, "INVALID_PATH",
                    AuditEvent.Outcome.INVALID, "the path must not contain encoded characters, '.' or '..' segments, or '//'");
        }
        return authenticator.authenticate(context.getHeaderString(HttpHeaders.AUTHORIZATION))
                .map(caller -> {
                    context.setProperty(Requests.ACCESS, new AccessContext(caller, requestId, client));
                    return (Response) null;
                })
                .onFailure(AuthenticationException.class).recoverWithUni(failure -> {
                    LOG.debugf("request %s: %s", requestId, failure.getMessage());
                    Classified c = Classified.of(failure);
                    return reject(requestId, client, "anonymous", "authenticate", c.status(), c.code(), c.outcome(), c.message());
                })
                .onFailure(failure -> !(failure instanceof AuthenticationException)).recoverWithUni(failure -> {
                    // The token store (database) or JWKS could not be consulted: nobody is authenticated, nothing is served.
                    LOG.warnf("request %s: caller could not be verified: %s", requestId, failure.getClass().getSimpleName());
                    return reject(requestId, client, "anonymous", "authenticate", 503, "AUTHENTICATION_UNAVAILABLE",
                            AuditEvent.Outcome.FAILED, "callers cannot be verified right now");
                });
    }

    @ServerResponseFilter
    public void tagResponse(ContainerRequestContext request, ContainerResponseContext response) {
        response.getHeaders().putSingle(Requests.REQUEST_ID_HEADER, Requests.requestId(request));
        response.getHeaders().putSingle("Cache-Control", "no-store");
    }

    private Uni<Response> reject(String requestId, String client, String subject, String operation, int status,
                                 String code, AuditEvent.Outcome outcome, String detail) {
        AuditEvent event = new AuditEvent(clock.instant(), requestId, subject, operation, null, null, null, null,
                outcome, status, code, client);
        return audit.append(event)
                .map(ignored -> Problem.response(status, code, detail, requestId))
                .onFailure().recoverWithItem(failure -> Problem.response(Classified.of(failure), requestId));
    }

    /**
     * Secret paths use only unreserved characters, so a raw path with a percent sign, a backslash, an empty
     * segment or a dot segment is an attempt to be read two ways (encoded slash, traversal) and is refused
     * before anything decodes or normalises it.
     */
    static boolean isCanonical(String rawPath) {
        if (rawPath == null || rawPath.indexOf('%') >= 0 || rawPath.indexOf('\\') >= 0 || rawPath.contains("//")) {
            return false;
        }
        for (String segment : rawPath.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }
}
