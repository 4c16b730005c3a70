package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.annotation.JsonInclude;
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

    static Problem of(int status, String code, String detail, String requestId) {
        return new Problem("urn:lanyard:problem:" + code.toLowerCase(Locale.ROOT).replace('_', '-'),
                Response.Status.fromStatusCode(status) == null ? "Error" : Response.Status.fromStatusCode(status).getReasonPhrase(),
                status, code, detail, requestId);
    }

    static Problem of(Classified classified, String requestId) {
        return of(classified.status(), classified.code(), classified.message(), requestId);
    }

    static Response response(Classified classified, String requestId) {
        return response(classified.status(), classified.code(), classified.message(), requestId);
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

    static Response response(int status, String code, String detail, String requestId) {
        Response.ResponseBuilder builder = Response.status(status).type(MEDIA_TYPE).entity(of(status, code, detail, requestId));
        if (status == 401) {
            builder.header("WWW-Authenticate", BEARER_CHALLENGE);
        }
        return builder.build();
    }
}
