package dev.lanyard.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.access.AccessContext;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.broker.Broker;
import dev.lanyard.broker.Grant;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.VersionSelector;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import org.jboss.logging.Logger;

/**
 * The two calls a fleet makes most — read a secret ({@code GET /v1/secrets/…}) and fetch its credential
 * ({@code POST /v1/creds/…}) — in their plain form, served by the HTTP layer directly rather than through the REST
 * layer: the same admission, the same broker call (policy, cache, one audit row with the status sent), the same
 * answers, without the per-request machinery a cached answer does not need (request scope, context propagation,
 * filter chains, reflection-driven parameter binding).
 *
 * <p>Only the plain form is taken: no query string, no body, an {@code Accept} the answer satisfies. Everything else
 * ({@code ?version=}, {@code ?stage=}, {@code ?property=}, anything odd) goes on to {@link SecretResource}, which
 * handles every form and is what the OpenAPI document describes. Both end in the same broker methods, so an answer
 * does not depend on which layer gave it. {@link HttpEdge} has screened the request before either sees it.
 */
@Singleton
class FetchRoutes {

    private static final Logger LOG = Logger.getLogger(FetchRoutes.class);

    private static final String SECRETS = "/v1/secrets/";
    private static final String CREDS = "/v1/creds/";
    /** The metric labels the REST layer would give these routes (see quarkus.micrometer.binder.http-server.match-patterns). */
    private static final String SECRETS_TEMPLATE = "/v1/secrets/{backend}/{path}";
    private static final String CREDS_TEMPLATE = "/v1/creds/{backend}/{path}";
    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json;charset=UTF-8");
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");

    private final Admission admission;
    private final Broker broker;
    private final InstantSource clock;
    private final ObjectMapper json;
    private final Counter leanSecrets;
    private final Counter leanCreds;

    FetchRoutes(Admission admission, Broker broker, InstantSource clock, ObjectMapper json, MeterRegistry meters) {
        this.admission = admission;
        this.broker = broker;
        this.clock = clock;
        this.json = json;
        this.leanSecrets = lean(meters, SECRETS_TEMPLATE);
        this.leanCreds = lean(meters, CREDS_TEMPLATE);
    }

    /**
     * Requests this layer answered, by the route the REST layer would have served them on: which layer answers is
     * invisible to callers by design, so operators (and FetchRoutesIT) see it here.
     */
    private static Counter lean(MeterRegistry meters, String template) {
        return Counter.builder("lanyard.http.lean.requests").tag("uri", template)
                .description("requests answered by the HTTP layer directly, without the REST layer").register(meters);
    }

    void install(@Observes Router router) {
        // After HttpEdge's screening (MIN_VALUE + 1 … + 3), before Quarkus's own handlers and the REST layer.
        router.get(SECRETS + "*").order(Integer.MIN_VALUE + 10).handler(context -> serve(context, SECRETS, SECRETS_TEMPLATE,
                leanSecrets, (access, ref) -> broker.read(access, ref, VersionSelector.current())));
        router.post(CREDS + "*").order(Integer.MIN_VALUE + 10).handler(context -> serve(context, CREDS, CREDS_TEMPLATE,
                leanCreds, (access, ref) -> broker.issue(access, ref)));
    }

    @FunctionalInterface
    private interface Fetch {
        Uni<Grant> apply(AccessContext access, SecretRef ref);
    }

    private void serve(RoutingContext context, String prefix, String template, Counter served, Fetch fetch) {
        HttpServerRequest request = context.request();
        String path = request.path();
        int slash = path.indexOf('/', prefix.length());
        if (!plain(request) || slash <= prefix.length() || slash == path.length() - 1) {
            // Not the plain form, or not /<backend>/<path> at all (the REST layer answers that as an unknown route).
            context.next();
            return;
        }
        served.increment();
        ((HttpServerRequestInternal) request).context().putLocal(HttpEdge.URL_PATH_TEMPLATE, template);
        // HttpEdge made the request id safe and put it back in the header.
        String requestId = request.getHeader(Requests.REQUEST_ID_HEADER);
        String client = Requests.clientAddress(request);
        admission.admit(requestId, client, request.getHeader(HttpHeaders.AUTHORIZATION))
                .chain(admitted -> {
                    if (admitted.refused()) {
                        return Uni.createFrom().item(Answer.refused(admitted));
                    }
                    SecretRef ref;
                    try {
                        ref = Identifiers.secret(path.substring(prefix.length(), slash), path.substring(slash + 1));
                    } catch (InvalidSecretPathException e) {
                        return admission.refuse(requestId, admitted.access(), null, AuditOperation.REQUEST,
                                Refusal.INVALID_PATH, e.getMessage()).map(Answer::refused);
                    }
                    // The broker records every outcome it produces, failures included: nothing more is audited here.
                    return fetch.apply(admitted.access(), ref)
                            .map(grant -> new Answer(null, grant))
                            .onFailure(Refused.class).recoverWithItem(failure -> {
                                Refused refused = (Refused) failure;
                                if (refused.unexpected()) {
                                    LOG.errorf(refused.getCause(), "request %s failed unexpectedly", requestId);
                                }
                                return new Answer(refused, null);
                            });
                })
                .subscribe().with(answer -> send(context, requestId, answer), failure -> {
                    // Outside every access (nothing here throws but a bug): recorded as the request's refusal.
                    LOG.errorf(failure, "request %s failed unexpectedly", requestId);
                    admission.refuseUnexpected(requestId, client, failure)
                            .subscribe().with(refused -> send(context, requestId, new Answer(refused, null)));
                });
    }

    /** What the request is answered with: a grant, or a refusal that was recorded as sent. */
    private record Answer(Refused refusal, Grant grant) {
        static Answer refused(Admission.Admitted admitted) {
            return new Answer(admitted.refusal(), null);
        }
    }

    /** The form taken here: no query, no body, an answer the client accepts. */
    private static boolean plain(HttpServerRequest request) {
        if (request.query() != null || request.headers().contains(HttpHeaders.TRANSFER_ENCODING)) {
            return false;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && !length.equals("0")) {
            return false;
        }
        String accept = request.getHeader(HttpHeaders.ACCEPT);
        return accept == null || accept.contains("application/json") || accept.contains("*/*");
    }

    private void send(RoutingContext context, String requestId, Answer answer) {
        HttpServerResponse response = context.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (answer.grant() == null) {
            Problem problem = Problem.of(answer.refusal(), requestId);
            problem.startOn(response).end(jsonLine(problem));
            return;
        }
        response.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .putHeader(Requests.REQUEST_ID_HEADER, requestId).putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
                .end(jsonLine(GrantResponse.of(answer.grant(), clock.instant())));
    }

    /** The answer's JSON, ended with a newline as JsonLineEnd ends the REST layer's. */
    private Buffer jsonLine(Object value) {
        try {
            return Buffer.buffer(json.writeValueAsBytes(value)).appendByte((byte) '\n');
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an answer could not be serialised", e);
        }
    }
}
