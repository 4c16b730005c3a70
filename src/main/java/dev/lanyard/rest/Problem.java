package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.core.Response;
import java.util.Locale;

/**
 * RFC 9457 problem details with Lanyard's stable {@code code}. Clients branch on {@code code}; {@code detail}
 * is for humans and never names a class, a stack frame or a secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Problem(String type, String title, int status, String code, String detail, String requestId) {

    public static final String MEDIA_TYPE = "application/problem+json";
    static final String BEARER_CHALLENGE = "Bearer realm=\"lanyard\"";

    /** The problem a refusal is answered with; {@code detail} null for the refusal's own. */
    static Problem of(Refusal refusal, String detail, String requestId) {
        int status = refusal.status();
        return new Problem("urn:lanyard:problem:" + refusal.code().toLowerCase(Locale.ROOT).replace('_', '-'),
                Response.Status.fromStatusCode(status) == null ? "Error" : Response.Status.fromStatusCode(status).getReasonPhrase(),
                status, refusal.code(), detail == null ? refusal.detail() : detail, requestId);
    }

    static Problem of(Refused refused, String requestId) {
        return of(refused.refusal(), refused.detail(), requestId);
    }

    static Response response(Refused refused, String requestId) {
        return of(refused, requestId).response();
    }

    /**
     * Status and headers of this problem as the HTTP layer answers it (HttpEdge, FetchRoutes); the REST layer's
     * answers get the same from {@link #response} and AccessFilters.
     */
    HttpServerResponse startOn(HttpServerResponse response) {
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, MEDIA_TYPE)
                .putHeader(Requests.REQUEST_ID_HEADER, requestId)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (status == 401) {
            response.putHeader("WWW-Authenticate", BEARER_CHALLENGE);
        }
        return response;
    }

    /** This problem as the REST layer answers it. */
    Response response() {
        Response.ResponseBuilder builder = Response.status(status).type(MEDIA_TYPE).entity(this);
        if (status == 401) {
            builder.header("WWW-Authenticate", BEARER_CHALLENGE);
        }
        return builder.build();
    }
}
