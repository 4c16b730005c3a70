package dev.lanyard.rest;

import dev.lanyard.access.Refusal;
import dev.lanyard.audit.AuditOperation;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
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

    private final Admission admission;

    AccessFilters(Admission admission) {
        this.admission = admission;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext context, HttpServerRequest request) {
        String requestId = Requests.requestId(context);
        String client = Requests.clientAddress(request);
        return admission.admit(requestId, client, context.getHeaderString(HttpHeaders.AUTHORIZATION))
                .chain(admitted -> {
                    if (admitted.refused()) {
                        return Uni.createFrom().item(admitted);
                    }
                    context.setProperty(Requests.ACCESS, admitted.access());
                    if (HttpMethod.OPTIONS.equals(context.getMethod())) {
                        // No endpoint answers OPTIONS: without this the REST layer would answer 200 and record nothing.
                        return admission.refuse(requestId, admitted.access(), client, AuditOperation.REQUEST,
                                Refusal.METHOD_NOT_ALLOWED, "OPTIONS is not served");
                    }
                    return Uni.createFrom().item(admitted);
                })
                .map(admitted -> admitted.refused() ? Problem.response(admitted.refusal(), requestId) : null);
    }

    @ServerResponseFilter
    public void tagResponse(ContainerRequestContext request, ContainerResponseContext response) {
        response.getHeaders().putSingle(Requests.REQUEST_ID_HEADER, Requests.requestId(request));
        response.getHeaders().putSingle("Cache-Control", "no-store");
    }
}
