package dev.lanyard.rest;

import dev.lanyard.audit.AuditOperation;
import dev.lanyard.lifecycle.Drain;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The first thing every HTTP request meets, before Quarkus's own handlers and the REST layer: a request that
 * breaks Lanyard's limits or could be read two ways is refused here with problem+json and an audit row, so the
 * REST layer only ever sees canonical paths, printable query strings and bodies within the limit.
 *
 * <p>The HTTP decoder's own limits ({@code quarkus.http.limits.*}) are set well above these, so that a request
 * between the two is still a request Lanyard can answer and record; beyond the decoder's limits there is no
 * request to record (see SECURITY.md).
 */
@Singleton
class HttpEdge {

    private static final Logger LOG = Logger.getLogger(HttpEdge.class);

    static final int MAX_TARGET_LENGTH = 8 * 1024;
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_HEADERS = 100;
    static final long MAX_BODY_BYTES = 16 * 1024;
    /** The metric label of every request no route template matched: raw paths never become labels. */
    static final String UNMATCHED = "/UNMATCHED";
    /** The MDC key every log line of a request carries its id under (the trace id is OpenTelemetry's {@code traceId}). */
    static final String REQUEST_ID_MDC = "requestId";
    /** The request-context local Quarkus's HTTP metrics take a request's route label from. */
    static final String URL_PATH_TEMPLATE = "UrlPathTemplate";
    private static final String BODY_READ = "lanyard.body-read";
    private static final Set<HttpMethod> READ_ONLY = Set.of(HttpMethod.GET, HttpMethod.HEAD);

    private final RestAudit audit;
    private final ObjectMapper json;
    private final Drain drain;

    HttpEdge(RestAudit audit, ObjectMapper json, Drain drain) {
        this.audit = audit;
        this.json = json;
        this.drain = drain;
    }

    void install(@Observes Router router) {
        // Before everything Quarkus registers (its body-size check runs at order -2).
        router.route().order(Integer.MIN_VALUE + 1).handler(this::screen);
        router.route().order(Integer.MIN_VALUE + 1).failureHandler(this::failed);
        // A body that announces its length was checked against the limit in screen; a chunked one is read here,
        // within the limit (past it, failed answers 413), and the REST layer reads the buffered body.
        BodyHandler chunkedBodies = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES).setMergeFormAttributes(false);
        router.routeWithRegex("^(?!/q(/|$)).*").order(Integer.MIN_VALUE + 2).handler(context -> {
            if (context.request().headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
                chunkedBodies.handle(context);
            } else {
                context.next();
            }
        });
        router.routeWithRegex("^(?!/q(/|$)).*").order(Integer.MIN_VALUE + 3).handler(context -> {
            context.put(BODY_READ, Boolean.TRUE);
            if (context.request().headers().contains(HttpHeaders.TRANSFER_ENCODING) && context.body().length() <= 0) {
                // The REST layer cannot be handed an empty buffered body (it would wait for one that never comes).
                String requestId = Requests.requestId(context.request().getHeader(Requests.REQUEST_ID_HEADER));
                refuse(context, requestId, RestAudit.refused(400, "MALFORMED_BODY",
                        "an empty chunked body: send no body, or Content-Length: 0"));
                return;
            }
            context.next();
        });
    }

    private void screen(RoutingContext context) {
        HttpServerRequest request = context.request();
        String path = request.path();
        String requestId = Requests.requestId(request.getHeader(Requests.REQUEST_ID_HEADER));
        // The REST layer reads the same, now safe, id.
        request.headers().set(Requests.REQUEST_ID_HEADER, requestId);
        // The MDC lives in the request's own Vert.x context: every line logged for this request carries the id.
        MDC.put(REQUEST_ID_MDC, requestId);
        long started = System.nanoTime();
        context.addEndHandler(ended -> LOG.debugf("%s %s answered %d in %d ms", request.method(), path,
                context.response().getStatusCode(), (System.nanoTime() - started) / 1_000_000));
        if (isOperations(path)) {
            if (missingHost(request)) {
                send(context, Problem.of(missingHostRefusal(), requestId));
                return;
            }
            if (!READ_ONLY.contains(request.method())) {
                context.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD");
                send(context, Problem.of(405, "METHOD_NOT_ALLOWED", "only GET and HEAD are served here", requestId));
                return;
            }
            context.next();
            return;
        }
        ((HttpServerRequestInternal) request).context().putLocal(URL_PATH_TEMPLATE, UNMATCHED);
        if (drain.refusesNewRequests()) {
            // Nothing was read or decided, so there is no access to record; the caller retries on another replica.
            context.response().putHeader("Retry-After", "1");
            send(context, Problem.of(503, "SHUTTING_DOWN", "this replica is shutting down; retry on another", requestId));
            return;
        }
        Classified refusal = refusal(request);
        if (refusal == null) {
            if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
                // The body is read next, by this edge: a client that waits for the go-ahead gets it here.
                context.response().writeContinue();
            }
            context.next();
        } else {
            refuse(context, requestId, refusal);
        }
    }

    /** Failures raised by the router or Quarkus's handlers before the REST layer answered (for example 413). */
    private void failed(RoutingContext context) {
        int status = context.statusCode();
        HttpServerRequest request = context.request();
        if (context.failure() instanceof HttpClosedException) {
            // The client went away: there is no one to answer, and nothing for the log to alarm about.
            LOG.debugf("client closed the connection before its request was answered");
            return;
        }
        if (context.response().headWritten()) {
            context.next();
            return;
        }
        if (missingHost(request)) {
            // The router fails on it before any route runs, so screen never saw this request.
            String requestId = Requests.requestId(request.getHeader(Requests.REQUEST_ID_HEADER));
            if (isOperations(request.path())) {
                send(context, Problem.of(missingHostRefusal(), requestId));
            } else {
                refuse(context, requestId, missingHostRefusal());
            }
            return;
        }
        if (isOperations(request.path())) {
            context.next();
            return;
        }
        if (context.failure() != null && context.get(BODY_READ) == null
                && request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            malformedBody(context);
            return;
        }
        if (status < 400 || status >= 500) {
            context.next();
            return;
        }
        LOG.debugf("request refused by the HTTP layer with %d", status);
        String requestId = Requests.requestId(context.request().getHeader(Requests.REQUEST_ID_HEADER));
        refuse(context, requestId, switch (status) {
            case 413 -> bodyTooLarge();
            case 400 -> RestAudit.refused(400, "BAD_REQUEST", "the request is not well-formed HTTP");
            default -> RestAudit.refused(status, "HTTP_" + status, "request refused");
        });
    }

    /**
     * The body could not be decoded (a chunk size that is not hex, a missing CRLF): the HTTP layer closes the
     * connection as soon as this returns, so the answer is written now and its audit row right after it.
     */
    private void malformedBody(RoutingContext context) {
        LOG.debugf("request body could not be decoded: %s", context.failure().getClass().getSimpleName());
        String requestId = Requests.requestId(context.request().getHeader(Requests.REQUEST_ID_HEADER));
        Classified refusal = RestAudit.refused(400, "MALFORMED_BODY", "the request body is not valid HTTP/1.1 chunked encoding");
        send(context, Problem.of(refusal, requestId));
        // Vert.x defers the flush to the end of the read it is in, and closes the channel before that: flush now.
        if (context.request().connection() instanceof ConnectionBase connection) {
            connection.channel().flush();
        }
        audit.refusal(requestId, null, Requests.clientAddress(context.request()), AuditOperation.REQUEST, refusal).subscribe().with(
                sent -> { }, failure -> LOG.warnf("request %s: the refusal of a malformed body could not be recorded", requestId));
    }

    /** Why this request is refused before anything reads it, or null. */
    static Classified refusal(HttpServerRequest request) {
        if (missingHost(request)) {
            return missingHostRefusal();
        }
        String target = request.uri();
        if (target.length() > MAX_TARGET_LENGTH) {
            return RestAudit.refused(414, "URI_TOO_LONG", "the request target is longer than " + MAX_TARGET_LENGTH + " characters");
        }
        int headerBytes = 0;
        for (Map.Entry<String, String> header : request.headers()) {
            headerBytes += header.getKey().length() + header.getValue().length() + 4;
        }
        if (request.headers().size() > MAX_HEADERS || headerBytes > MAX_HEADER_BYTES) {
            return RestAudit.refused(431, "HEADERS_TOO_LARGE", "the request has more than " + MAX_HEADERS
                    + " headers or more than " + MAX_HEADER_BYTES + " bytes of them");
        }
        List<String> lengths = request.headers().getAll(HttpHeaders.CONTENT_LENGTH);
        for (String length : lengths) {
            if (!length.matches("[0-9]{1,19}")) {
                return RestAudit.refused(400, "BAD_REQUEST", "Content-Length is not a number");
            }
            if (Long.parseLong(length) > MAX_BODY_BYTES) {
                return bodyTooLarge();
            }
        }
        List<String> codings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!codings.isEmpty() && (!lengths.isEmpty() || codings.size() > 1
                || !codings.getFirst().trim().equalsIgnoreCase("chunked"))) {
            // RFC 9112 6.1: a body is framed one way; anything else is how requests are smuggled.
            return RestAudit.refused(400, "BAD_REQUEST", "the body must be framed by Content-Length or by chunked alone");
        }
        if (!isCanonical(request.path())) {
            return RestAudit.refused(400, "INVALID_PATH",
                    "the path must be printable ASCII without encoded characters, ';', '\\', '.' or '..' segments, or '//'");
        }
        if (!isPrintableQuery(request.query())) {
            return RestAudit.refused(400, "INVALID_QUERY",
                    "query parameters must be valid percent-encoded UTF-8 without control characters, separated by '&' only");
        }
        return null;
    }

    /** RFC 9112 3.2: an HTTP/1.1 request without Host is refused (the HTTP layer would otherwise fail on it later). */
    private static boolean missingHost(HttpServerRequest request) {
        return request.version() == HttpVersion.HTTP_1_1 && request.headers().get(HttpHeaders.HOST) == null;
    }

    private static Classified missingHostRefusal() {
        return RestAudit.refused(400, "BAD_REQUEST", "an HTTP/1.1 request needs a Host header");
    }

    static Classified bodyTooLarge() {
        return RestAudit.refused(413, "BODY_TOO_LARGE", "the request body is larger than " + MAX_BODY_BYTES / 1024 + " KiB");
    }

    /**
     * Secret paths use only unreserved characters, so a raw path with a percent sign, a backslash, a matrix
     * parameter, an empty segment, a dot segment or anything outside printable ASCII is an attempt to be read two
     * ways (encoded slash, traversal, stripped parameters) and is refused before anything decodes or normalises it.
     */
    static boolean isCanonical(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.contains("//")) {
            return false;
        }
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '%' || c == '\\' || c == ';') {
                return false;
            }
        }
        for (String segment : rawPath.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    /**
     * A query string Lanyard will read: printable ASCII on the wire, '&' as the only separator, percent-escapes
     * that decode to UTF-8, and no control or invisible formatting characters once decoded.
     */
    static boolean isPrintableQuery(String rawQuery) {
        if (rawQuery == null) {
            return true;
        }
        for (int i = 0; i < rawQuery.length(); i++) {
            char c = rawQuery.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == ';' || c == '#') {
                return false;
            }
            if (c == '%' && (i + 2 >= rawQuery.length() || !isHex(rawQuery.charAt(i + 1)) || !isHex(rawQuery.charAt(i + 2)))) {
                return false;
            }
        }
        for (String part : rawQuery.split("&", -1)) {
            if (!isPrintableText(strictDecode(part.replace('+', ' ')))) {
                return false;
            }
        }
        return true;
    }

    /** Text that may be stored, logged or echoed: no control, line-separator or invisible formatting characters. */
    static boolean isPrintableText(String text) {
        if (text == null) {
            return false;
        }
        return text.codePoints().noneMatch(cp -> switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED -> true;
            default -> false;
        });
    }

    /** Decodes percent-escapes as UTF-8; null when they are not valid UTF-8. */
    private static String strictDecode(String component) {
        byte[] bytes = new byte[component.length()];
        int n = 0;
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            if (c == '%') {
                bytes[n++] = (byte) Integer.parseInt(component, i + 1, i + 3, 16);
                i += 2;
            } else {
                bytes[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, n)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    private static boolean isOperations(String path) {
        return path != null && (path.equals("/q") || path.startsWith("/q/"));
    }

    private void refuse(RoutingContext context, String requestId, Classified refusal) {
        String client = Requests.clientAddress(context.request());
        audit.refusal(requestId, null, client, AuditOperation.REQUEST, refusal).subscribe().with(
                sent -> send(context, Problem.of(sent.status(), sent.code(), sent.message(), requestId)),
                failure -> send(context, Problem.of(Classified.of(failure), requestId)));
    }

    private void send(RoutingContext context, Problem problem) {
        HttpServerResponse response = context.response();
        if (response.ended()) {
            return;
        }
        String body;
        try {
            body = json.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        problem.startOn(response);
        if (context.request().version() != HttpVersion.HTTP_2) {
            // The body, if any, is not read: close rather than leave it in the connection for the next request.
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.end(body);
    }
}
