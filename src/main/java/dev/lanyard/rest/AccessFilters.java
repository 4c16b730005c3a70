package dev.lanyard.rest;

import dev.lanyard.audit.AuditOperation;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.Authenticator;
import dev.lanyard.auth.RequestContext;
import dev.lanyard.support.Spans;
import io.opentelemetry.api.trace.Tracer;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Runs before routing for every request the REST layer sees, so no endpoint (and no unknown path) is reachable
 * without a verified caller: deny by default. Health, metrics and OpenAPI are served outside this layer, and
 * {@link HttpEdge} has already refused what is not canonical.
 *
 * <p>Rejections here are audited like any other access.
 */
public class AccessFilters {

    private static final Logger LOG = Logger.getLogger(AccessFilters.class);

    private final Authenticator authenticator;
    private final RestAudit audit;
    private final Tracer tracer;

    AccessFilters(Authenticator authenticator, RestAudit audit, Tracer tracer) {
        this.authenticator = authenticator;
        this.audit = audit;
        this.tracer = tracer;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext context, HttpServerRequest request) {
        String requestId = Requests.requestId(context);
        String client = Requests.clientAddress(request);
        return Spans.around(tracer, "lanyard.authenticate",
                        () -> authenticator.authenticate(context.getHeaderString(HttpHeaders.AUTHORIZATION)))
                .onItem().transformToUni(caller -> {
                    RequestContext access = RequestContext.http(caller, requestId, client, Classified::answer);
                    context.setProperty(Requests.ACCESS, access);
                    if (HttpMethod.OPTIONS.equals(context.getMethod())) {
                        // No endpoint answers OPTIONS: without this the REST layer would answer 200 and record nothing.
                        return reject(requestId, access, client, AuditOperation.REQUEST,
                                RestAudit.refused(405, "METHOD_NOT_ALLOWED", "OPTIONS is not served"));
                    }
                    return Uni.createFrom().<Response>nullItem();
                })
                .onFailure(AuthenticationException.class).recoverWithUni(failure -> {
                    LOG.debugf("request %s: %s", requestId, failure.getMessage());
                    return reject(requestId, null, client, AuditOperation.AUTHENTICATE, Classified.of(failure));
                })
                .onFailure(failure -> !(failure instanceof AuthenticationException)).recoverWithUni(failure -> {
                    // The token store (database) or JWKS could not be consulted: nobody is authenticated, nothing is served.
                    LOG.warnf("request %s: caller could not be verified: %s", requestId, failure.getClass().getSimpleName());
                    return reject(requestId, null, client, AuditOperation.AUTHENTICATE, RestAudit.refused(503,
                            "AUTHENTICATION_UNAVAILABLE", "callers cannot be verified right now"));
                });
    }

    @ServerResponseFilter
    public void tagResponse(ContainerRequestContext request, ContainerResponseContext response) {
        response.getHeaders().putSingle(Requests.REQUEST_ID_HEADER, Requests.requestId(request));
        response.getHeaders().putSingle("Cache-Control", "no-store");
    }

    private Uni<Response> reject(String requestId, RequestContext access, String client, AuditOperation operation,
                                 Classified refusal) {
        return audit.refusal(requestId, access, client, operation, refusal)
                .map(sent -> Problem.response(sent, requestId))
                .onFailure().recoverWithItem(failure -> Problem.response(Classified.of(failure), requestId));
    }
}
