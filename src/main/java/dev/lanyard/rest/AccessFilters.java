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
import java.util.Set;
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
                        return Uni.createFrom().item(Problem.response(admitted.refusal(), requestId));
                    }
                    context.setProperty(Requests.ACCESS, admitted.access());
                    return methodRefusal(context.getMethod(), request.path(), requestId, client, admitted);
                });
    }

    /**
     * A method the path does not take is refused here, after the caller is known (so deny by default holds and the row
     * names who asked), with {@code Allow} naming what the path takes: the REST layer's own 405 names nothing, and it
     * would answer {@code OPTIONS} itself, unaudited. A path no route has goes on, to be answered 404 like any method
     * there, except {@code OPTIONS}, which would otherwise be answered for any path under a resource.
     */
    private Uni<Response> methodRefusal(String method, String path, String requestId, String client,
                                        Admission.Admitted admitted) {
        Set<String> taken = DeclaredRoutes.API.methods(path);
        if (taken.contains(method) || (taken.isEmpty() && !HttpMethod.OPTIONS.equals(method))) {
            return Uni.createFrom().nullItem();
        }
        if (taken.isEmpty()) {
            return admission.refuse(requestId, admitted.access(), client, AuditOperation.REQUEST, Refusal.NOT_FOUND, null)
                    .map(answered -> Problem.response(answered.refusal(), requestId));
        }
        String allow = DeclaredRoutes.allow(taken);
        return admission.refuse(requestId, admitted.access(), client, AuditOperation.REQUEST, Refusal.METHOD_NOT_ALLOWED,
                        "this path takes " + allow)
                .map(answered -> {
                    Response problem = Problem.response(answered.refusal(), requestId);
                    // Only a refusal still answered 405 (not one the audit log turned into a 503) names the methods.
                    return problem.getStatus() == 405
                            ? Response.fromResponse(problem).header(HttpHeaders.ALLOW, allow).build() : problem;
                });
    }

    @ServerResponseFilter
    public void tagResponse(ContainerRequestContext request, ContainerResponseContext response) {
        response.getHeaders().putSingle(Requests.REQUEST_ID_HEADER, Requests.requestId(request));
        response.getHeaders().putSingle("Cache-Control", "no-store");
    }
}
