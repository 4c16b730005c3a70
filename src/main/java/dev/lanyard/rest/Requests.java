package dev.lanyard.rest;

import dev.lanyard.access.AccessContext;
import io.smallrye.mutiny.Uni;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Per-request facts the filters establish and the resources read. */
final class Requests {

    static final String ACCESS = "lanyard.access";
    static final String REQUEST_ID = "lanyard.request-id";
    static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private Requests() {}

    static AccessContext access(ContainerRequestContext context) {
        return (AccessContext) context.getProperty(ACCESS);
    }

    /** The caller's request id when it is safe to log and store; a fresh one otherwise. */
    static String requestId(ContainerRequestContext context) {
        Object known = context.getProperty(REQUEST_ID);
        if (known != null) {
            return (String) known;
        }
        String id = requestId(context.getHeaderString(REQUEST_ID_HEADER));
        context.setProperty(REQUEST_ID, id);
        return id;
    }

    /**
     * The offered id when it is safe to log and store; otherwise the request's trace id when it is traced (so the audit
     * row leads to the trace), or a fresh one.
     */
    static String requestId(String offered) {
        if (offered != null && SAFE_REQUEST_ID.matcher(offered).matches()) {
            return offered;
        }
        SpanContext trace = Span.current().getSpanContext();
        return trace.isValid() ? trace.getTraceId() : UUID.randomUUID().toString();
    }

    static String clientAddress(HttpServerRequest request) {
        return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    }

    /**
     * Waits for an access on the request's virtual thread, for endpoints whose actions block (rotation, the audit log's
     * reads): the action runs where the access is subscribed, here, never on an event loop. A {@link
     * dev.lanyard.access.Refused} propagates to the problem mapper as it is; the access bounds its own waits.
     */
    static <T> T awaited(Uni<T> access) {
        return access.await().indefinitely();
    }
}
