package dev.lanyard.rest;

import dev.lanyard.access.AccessContext.Channel;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.Refusal;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.rest.EdgeScreening.Rejection;
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

    /** The metric label of every request no route template matched: raw paths never become labels. */
    static final String UNMATCHED = "/UNMATCHED";
    /** The MDC key every log line of a request carries its id under (the trace id is OpenTelemetry's {@code traceId}). */
    static final String REQUEST_ID_MDC = "requestId";
    /** The request-context local Quarkus's HTTP metrics take a request's route label from. */
    static final String URL_PATH_TEMPLATE = "UrlPathTemplate";
    private static final String BODY_READ = "lanyard.body-read";
    /** Exactly this, never with a charset: Vault's clients (hvac, the Java driver) compare it as it is. */
    private static final String VAULT_JSON = "application/json";
    private static final Set<HttpMethod> READ_ONLY = Set.of(HttpMethod.GET, HttpMethod.HEAD);

    private final AuditedAccess audited;
    private final ObjectMapper json;
    private final Drain drain;

    HttpEdge(AuditedAccess audited, ObjectMapper json, Drain drain) {
        this.audited = audited;
        this.json = json;
        this.drain = drain;
    }

    void install(@Observes Router router) {
        // Before everything Quarkus registers (its body-size check runs at order -2).
        router.route().order(Integer.MIN_VALUE + 1).handler(this::screen);
        router.route().order(Integer.MIN_VALUE + 1).failureHandler(this::failed);
        // A body that announces its length was checked against the limit in screen; a chunked one is read here,
        // within the limit (past it, failed answers 413), and the REST layer reads the buffered body.
        BodyHandler chunkedBodies = BodyHandler.create(false).setBodyLimit(EdgeScreening.MAX_BODY_BYTES).setMergeFormAttributes(false);
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
                refuse(context, requestId, new Rejection(Refusal.MALFORMED_BODY,
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
        // Every path is screened before anything routes it: the router normalises /q/../v1/… onto the API's routes,
        // so "is it an operations path?" may only be asked of a path already known to be canonical.
        Rejection refusal = EdgeScreening.refusal(request);
        if (refusal != null) {
            ((HttpServerRequestInternal) request).context().putLocal(URL_PATH_TEMPLATE, UNMATCHED);
            refuse(context, requestId, refusal);
            return;
        }
        if (isOperations(path)) {
            if (!READ_ONLY.contains(request.method())) {
                context.response().putHeader(HttpHeaders.ALLOW, "GET, HEAD");
                send(context, Problem.of(Refusal.METHOD_NOT_ALLOWED, "only GET and HEAD are served here", requestId));
                return;
            }
            context.next();
            return;
        }
        ((HttpServerRequestInternal) request).context().putLocal(URL_PATH_TEMPLATE, UNMATCHED);
        if (drain.refusesNewRequests()) {
            // Nothing was read or decided, so there is no access to record; the caller retries on another replica.
            context.response().putHeader("Retry-After", "1");
            send(context, Problem.of(Refusal.SHUTTING_DOWN, null, requestId));
            return;
        }
        if ("100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            // The body is read next, by this edge: a client that waits for the go-ahead gets it here.
            context.response().writeContinue();
        }
        context.next();
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
        if (EdgeScreening.missingHost(request)) {
            // The router fails on it before any route runs, so screen never saw this request.
            String requestId = Requests.requestId(request.getHeader(Requests.REQUEST_ID_HEADER));
            if (isOperations(request.path())) {
                send(context, problem(EdgeScreening.missingHostRefusal(), requestId));
            } else {
                refuse(context, requestId, EdgeScreening.missingHostRefusal());
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
        refuse(context, requestId, status == 413 ? EdgeScreening.bodyTooLarge()
                : new Rejection(Refusal.forClientError(status), null));
    }

    /**
     * The body could not be decoded (a chunk size that is not hex, a missing CRLF): the HTTP layer closes the
     * connection as soon as this returns, so the answer is written now and its audit row right after it.
     */
    private void malformedBody(RoutingContext context) {
        LOG.debugf("request body could not be decoded: %s", context.failure().getClass().getSimpleName());
        String requestId = Requests.requestId(context.request().getHeader(Requests.REQUEST_ID_HEADER));
        Rejection refusal = new Rejection(Refusal.MALFORMED_BODY, "the request body is not valid HTTP/1.1 chunked encoding");
        send(context, problem(refusal, requestId));
        // Vert.x defers the flush to the end of the read it is in, and closes the channel before that: flush now.
        if (context.request().connection() instanceof ConnectionBase connection) {
            connection.channel().flush();
        }
        audited.refuse(requestId, null, Requests.clientAddress(context.request()), AuditOperation.REQUEST, refusal.refusal(),
                refusal.detail()).subscribe().with(sent -> {
                    if (!sent.recorded()) {
                        LOG.warnf("request %s: the refusal of a malformed body could not be recorded", requestId);
                    }
                });
    }

    private static boolean isOperations(String path) {
        return path != null && (path.equals("/q") || path.startsWith("/q/"));
    }

    private void refuse(RoutingContext context, String requestId, Rejection refusal) {
        String client = Requests.clientAddress(context.request());
        // A request for the Vault-compatible API is recorded as having come that way, whoever refuses it.
        String path = context.request().path();
        Channel channel = isVault(path) ? Channel.VAULT : Channel.API;
        audited.refuse(channel, requestId, null, client, AuditOperation.REQUEST, refusal.refusal(), refusal.detail())
                .subscribe().with(sent -> {
                    Problem problem = Problem.of(sent, requestId);
                    // Answered with the status the row records: the channel's vocabulary.
                    send(context, new Problem(problem.type(), problem.title(), channel.status(sent.refusal()), problem.code(),
                            problem.detail(), requestId));
                });
    }

    private static boolean isVault(String path) {
        return path != null && path.startsWith(EdgeScreening.VAULT_PREFIX);
    }

    private static Problem problem(Rejection refusal, String requestId) {
        return Problem.of(refusal.refusal(), refusal.detail(), requestId);
    }

    private void send(RoutingContext context, Problem problem) {
        HttpServerResponse response = context.response();
        if (response.ended()) {
            return;
        }
        String body;
        try {
            if (isVault(context.request().path())) {
                // A Vault client reads Vault's error shape, in exactly application/json, whoever refused it: the same
                // status, detail and request id as the problem, in the body and headers the Vault-compatible API sends.
                body = json.writeValueAsString(Map.of("errors", List.of(problem.detail() == null ? problem.title() : problem.detail())));
                response.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, VAULT_JSON)
                        .putHeader(Requests.REQUEST_ID_HEADER, problem.requestId())
                        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
            } else {
                body = json.writeValueAsString(problem);
                problem.startOn(response);
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (context.request().version() != HttpVersion.HTTP_2) {
            // The body, if any, is not read: close rather than leave it in the connection for the next request.
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        response.end(body);
    }
}
