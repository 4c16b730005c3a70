package dev.lanyard.vaultapi;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AccessContext.Channel;
import dev.lanyard.access.AccessDeniedException;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.Performed;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Target;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.Authenticator;
import dev.lanyard.auth.CallerTokens;
import dev.lanyard.auth.LoginTokenService;
import dev.lanyard.broker.Broker;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.support.PathEscapes;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Vault's HTTP API under {@code /vault/v1/}, for the clients teams already run (the vault/bao CLI and agent, hvac, the
 * Vault Java driver, Spring Vault, External Secrets): served at the HTTP layer, like {@code rest/FetchRoutes}, so that
 * every answer is exactly {@code application/json} and shaped as Vault shapes it ({@link VaultReplies}).
 *
 * <p>Nothing here is a way around Lanyard: every request is screened by the edge first (a canonical path once the
 * escapes hvac sends are decoded), authenticated by the same authenticator, and served by the broker — policy, cache,
 * single flight, lease cap, holder-only renew and revoke — or by the audited access, each request one audit row whose
 * detail says it came this way. No Vault system path ({@code sys/}, {@code auth/}) is ever passed to a backend: the
 * ones served are answered from Lanyard's own state, every other path is refused as Vault refuses a path no policy
 * grants. Only {@code sys/health} and {@code sys/seal-status}, which name nothing and need no token, are answered
 * without a record, like {@code /q/health}.
 */
@Singleton
class VaultRoutes {

    private static final Logger LOG = Logger.getLogger(VaultRoutes.class);

    static final String PREFIX = "/vault/";
    static final String API = "/vault/v1/";
    /** When the client should fetch a grant again: a header, so that no Vault client's parser meets a field it does not know. */
    static final String REFRESH_AFTER = "X-Lanyard-Refresh-After";
    static final String WRAP_TTL = "X-Vault-Wrap-TTL";
    static final String NAMESPACE = "X-Vault-Namespace";
    private static final String REQUEST_ID = "X-Request-Id";
    /** The request-context local Quarkus's HTTP metrics take a request's route label from (as rest/HttpEdge sets it). */
    private static final String URL_PATH_TEMPLATE = "UrlPathTemplate";
    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    /** A role as a login names it: recorded with the token, so kept to what can be recorded faithfully. */
    private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9_.@-]{1,128}");
    /** Lease ids Vault hands out ({@code <mount>/creds/<role>/<id>}), and anything else no longer than a path. */
    private static final int MAX_LEASE_ID = 1024;

    private final VaultApiConfig config;
    private final MountTable mounts;
    private final VaultAdmission admission;
    private final AuditedAccess audited;
    private final Broker broker;
    private final CallerTokens tokens;
    private final LoginTokenService logins;
    private final Authenticator authenticator;
    private final InstantSource clock;
    private final ObjectMapper json;
    private final String version;

    VaultRoutes(VaultApiConfig config, VaultAdmission admission, AuditedAccess audited, Broker broker, CallerTokens tokens,
                LoginTokenService logins, Authenticator authenticator, InstantSource clock, ObjectMapper json,
                @ConfigProperty(name = "quarkus.application.version", defaultValue = "0.0.0") String version) {
        this.config = config;
        // A mount naming a backend Lanyard does not have fails start-up, with every such problem at once.
        this.mounts = config.enabled() ? MountTable.of(config.mounts(), broker::hasBackend) : null;
        this.admission = admission;
        this.audited = audited;
        this.broker = broker;
        this.tokens = tokens;
        this.logins = logins;
        this.authenticator = authenticator;
        this.clock = clock;
        this.json = json.copy().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.version = version;
    }

    void install(@Observes Router router) {
        if (!config.enabled()) {
            return;
        }
        // After rest/HttpEdge's screening (MIN_VALUE + 1 … + 3), before Quarkus's own handlers and the REST layer. The
        // edge reads chunked bodies itself; this reads those framed by Content-Length, within the same limit.
        BodyHandler bodies = BodyHandler.create(false).setBodyLimit(16 * 1024).setMergeFormAttributes(false);
        router.route(PREFIX + "*").order(Integer.MIN_VALUE + 9).handler(bodies);
        router.route(PREFIX + "*").order(Integer.MIN_VALUE + 10).handler(this::serve);
    }

    /** One request: who sent it, what it asks for, and how it asked. */
    private record Call(RoutingContext context, String requestId, String client, VaultRoute route, String method,
                        String token) {
        HttpServerRequest request() {
            return context.request();
        }
    }

    /** What a request is answered with. */
    private record Reply(int status, ObjectNode body, Map<String, String> headers) {
        static Reply ok(ObjectNode body) {
            return new Reply(200, body, Map.of());
        }

        static Reply noContent() {
            return new Reply(204, null, Map.of());
        }
    }

    private void serve(RoutingContext context) {
        HttpServerRequest request = context.request();
        // rest/HttpEdge made the id safe and put it back in the header.
        String requestId = request.getHeader(REQUEST_ID);
        // The edge let the path through only if this decodes it: it escapes nothing but characters a path may hold.
        String path = PathEscapes.decodeSecretPathEscapes(request.path());
        VaultRoute route = path != null && path.startsWith(API)
                ? VaultRoute.of(path.substring(API.length()), mounts) : new VaultRoute(VaultRoute.Op.UNSERVED, "{unserved}", null, null);
        ((HttpServerRequestInternal) request).context().putLocal(URL_PATH_TEMPLATE, route.metricLabel());
        String method = request.method().name();
        if ("true".equals(context.queryParams().get("list")) && method.equals(VaultRoute.GET)) {
            method = VaultRoute.LIST;
        }
        Call call = new Call(context, requestId, clientAddress(request), route, method,
                VaultAdmission.token(request.getHeader(VaultAdmission.TOKEN_HEADER), request.getHeader(HttpHeaders.AUTHORIZATION)));
        if (!route.op().needsToken()) {
            serveOpen(call);
            return;
        }
        admission.admit(requestId, call.client(), call.token()).subscribe().with(admitted -> {
            if (admitted.refusal() != null) {
                send(call, refused(admitted.refusal(), false));
            } else {
                serveAdmitted(call, admitted.access());
            }
        }, failure -> unexpected(call, null, failure));
    }

    // ---- requests with a verified caller --------------------------------------------------------------------------

    private void serveAdmitted(Call call, AccessContext access) {
        Optional<String> screened = screenHeaders(call.request());
        if (screened.isPresent()) {
            refuse(call, access, Refusal.INVALID_REQUEST, screened.get());
            return;
        }
        VaultRoute route = call.route();
        if (route.op() == VaultRoute.Op.UNSERVED) {
            refuse(call, access, Refusal.ACCESS_DENIED, "this path is not served by Lanyard's Vault-compatible API");
            return;
        }
        if (!route.op().answers(call.method())) {
            refuse(call, access, Refusal.METHOD_NOT_ALLOWED, call.method() + " is not served on this path; it answers "
                    + route.op().allowed());
            return;
        }
        JsonNode body;
        try {
            body = body(call.context());
        } catch (VaultRefusal e) {
            refuse(call, access, e.refusal(), e.getMessage());
            return;
        }
        Uni<Reply> reply;
        try {
            reply = switch (route.op()) {
                case KV_DATA -> kvData(access, route, versionAsked(call));
                case KV_METADATA -> broker.versions(access, route.match().mount().secret(route.argument()))
                        .map(versions -> Reply.ok(VaultReplies.kvMetadata(call.requestId(), versions)));
                case CREDS -> credential(call, access, route);
                case LEASE_RENEW -> {
                    String leaseId = leaseId(route, body);
                    yield broker.renew(access, leaseId, Increments.of(body.get("increment")))
                            .map(lease -> Reply.ok(VaultReplies.renewed(call.requestId(), leaseId, lease)));
                }
                case LEASE_REVOKE -> broker.revoke(access, leaseId(route, body)).map(ignored -> Reply.noContent());
                case LEASE_LOOKUP -> {
                    String leaseId = leaseId(route, body);
                    yield broker.lookup(access, leaseId)
                            .map(status -> Reply.ok(VaultReplies.leaseLookup(call.requestId(), leaseId, status, clock.instant())));
                }
                case TOKEN_LOOKUP_SELF -> lookupSelf(call, access);
                case TOKEN_RENEW_SELF -> renewSelf(call, access, Increments.of(body.get("increment")));
                case TOKEN_REVOKE_SELF -> revokeSelf(call, access);
                case MOUNTS -> audited.perform(access, AuditOperation.MOUNT_READ, Target.none(), 200, () -> Uni.createFrom()
                                .item(new Performed<>(mounts.all().stream()
                                        .filter(mount -> audited.mayUseUnder(access, mount.policyPrefix())).toList(), Target.none())))
                        .map(usable -> Reply.ok(VaultReplies.mounts(call.requestId(), usable)));
                case MOUNT, UI_MOUNT -> audited.perform(access, AuditOperation.MOUNT_READ, Target.none(), 200,
                                () -> Uni.createFrom().item(() -> usableMount(access, route.argument())))
                        .map(mount -> Reply.ok(route.op() == VaultRoute.Op.UI_MOUNT ? VaultReplies.uiMount(call.requestId(), mount)
                                : VaultReplies.oneMount(call.requestId(), mount)));
                case HEALTH, SEAL_STATUS, LOGIN, UNSERVED -> throw new IllegalStateException("not an operation with a caller");
            };
        } catch (VaultRefusal e) {
            refuse(call, access, e.refusal(), e.getMessage());
            return;
        } catch (InvalidSecretPathException e) {
            refuse(call, access, Refusal.INVALID_PATH, e.getMessage());
            return;
        }
        answer(call, access, reply, route.op() == VaultRoute.Op.KV_DATA || route.op() == VaultRoute.Op.KV_METADATA);
    }

    private Uni<Reply> kvData(AccessContext access, VaultRoute route, VersionSelector version) {
        SecretRef ref = route.match().mount().secret(route.argument());
        return broker.read(access, ref, version).map(grant -> {
            ObjectNode body = VaultReplies.kvData(access.correlationId(), grant);
            return new Reply(200, body, Map.of(REFRESH_AFTER, grant.refreshAfter().toString()));
        });
    }

    /** {@code ?version=}: a version number; {@code 0} or none is the current version, as Vault reads it. */
    private static VersionSelector versionAsked(Call call) {
        List<String> asked = call.context().queryParams().getAll("version");
        if (asked.isEmpty() || asked.size() == 1 && (asked.getFirst().isEmpty() || asked.getFirst().equals("0"))) {
            return VersionSelector.current();
        }
        if (asked.size() > 1 || !asked.getFirst().matches("[1-9][0-9]{0,17}")) {
            throw new VaultRefusal(Refusal.INVALID_QUERY, "version must be one whole number");
        }
        return VersionSelector.id(asked.getFirst());
    }

    private Uni<Reply> credential(Call call, AccessContext access, VaultRoute route) {
        MountTable.Mount mount = route.match().mount();
        return broker.issue(access, mount.role(route.argument())).map(grant -> new Reply(200,
                VaultReplies.credential(call.requestId(), grant, mount.type(), clock.instant()),
                Map.of(REFRESH_AFTER, grant.refreshAfter().toString())));
    }

    /** The lease a renewal, revocation or lookup is about: in the URL ({@code …/renew/<id>}) or the body's {@code lease_id}. */
    private static String leaseId(VaultRoute route, JsonNode body) {
        String leaseId = route.argument() != null ? route.argument() : body.path("lease_id").asText("");
        if (leaseId.isEmpty() || leaseId.length() > MAX_LEASE_ID) {
            throw new VaultRefusal(Refusal.INVALID_REQUEST, "lease_id is required, at most " + MAX_LEASE_ID + " characters");
        }
        return leaseId;
    }

    /** The caller's own token, described: never a backend's. */
    private Uni<Reply> lookupSelf(Call call, AccessContext access) {
        return audited.perform(access, AuditOperation.TOKEN_LOOKUP, Target.none(), 200,
                        () -> tokens.describe(call.token()).map(facts -> new Performed<>(facts, target(facts))))
                .map(facts -> Reply.ok(VaultReplies.tokenLookup(call.requestId(), call.token(), facts,
                        audited.policiesOf(access), clock.instant())));
    }

    private Uni<Reply> renewSelf(Call call, AccessContext access, Optional<Duration> increment) {
        return audited.perform(access, AuditOperation.TOKEN_RENEW, Target.none(), 200, () -> tokens.describe(call.token())
                        .chain(facts -> {
                            if (facts.kind() != CallerTokens.Kind.LOGIN_TOKEN) {
                                return Uni.createFrom().failure(new VaultRefusal(Refusal.INVALID_REQUEST,
                                        "this token is not renewable: only login tokens (auth/<mount>/login) are"));
                            }
                            return tokens.renew(call.token(), increment);
                        })
                        .map(facts -> new Performed<>(facts, target(facts))))
                .map(facts -> Reply.ok(VaultReplies.auth(call.requestId(), call.token(), facts, audited.policiesOf(access),
                        clock.instant())));
    }

    private Uni<Reply> revokeSelf(Call call, AccessContext access) {
        return audited.perform(access, AuditOperation.TOKEN_REVOKE, Target.none(), 204, () -> tokens.describe(call.token())
                        .chain(facts -> {
                            if (facts.kind() == CallerTokens.Kind.SERVICE_ACCOUNT_TOKEN) {
                                return Uni.createFrom().failure(new VaultRefusal(Refusal.INVALID_REQUEST,
                                        "a ServiceAccount token is revoked by its cluster, not by Lanyard"));
                            }
                            return tokens.revoke(call.token(), access.caller().subject());
                        })
                        .map(facts -> new Performed<>(facts, target(facts))))
                .map(ignored -> Reply.noContent());
    }

    /** What a token's record names: the API token by name, the login token by id, nothing for a cluster's JWT. */
    private static Target target(CallerTokens.Facts facts) {
        return switch (facts.kind()) {
            case API_TOKEN -> Target.token(facts.name());
            case LOGIN_TOKEN -> Target.login(facts.accessor());
            case SERVICE_ACCOUNT_TOKEN -> Target.none();
        };
    }

    /** The mount {@code path} falls under, when the caller may use something on it; a mount it cannot use is a 403, never a 404. */
    private Performed<MountTable.Mount> usableMount(AccessContext access, String path) {
        MountTable.Mount mount = mounts.resolve(path).map(MountTable.Match::mount)
                .filter(found -> audited.mayUseUnder(access, found.policyPrefix()))
                .orElseThrow(() -> new AccessDeniedException("use", "mount of " + path));
        return new Performed<>(mount, Target.secret(mount.backend(), mount.path().isEmpty() ? mount.backend() : mount.path()));
    }

    // ---- requests that need no token -------------------------------------------------------------------------------

    private void serveOpen(Call call) {
        Optional<String> screened = screenHeaders(call.request());
        if (screened.isPresent()) {
            refuse(call, null, Refusal.INVALID_REQUEST, screened.get());
            return;
        }
        VaultRoute route = call.route();
        if (!route.op().answers(call.method())) {
            refuse(call, null, Refusal.METHOD_NOT_ALLOWED, call.method() + " is not served on this path; it answers "
                    + route.op().allowed());
            return;
        }
        switch (route.op()) {
            // Like /q/health: names nothing, needs no token, and is polled; answered without an audit row.
            case HEALTH -> send(call, Reply.ok(VaultReplies.health(version, clock.instant())));
            case SEAL_STATUS -> send(call, Reply.ok(VaultReplies.sealStatus(version)));
            case LOGIN -> login(call);
            default -> throw new IllegalStateException("not an operation without a caller: " + route.op());
        }
    }

    /**
     * {@code auth/<mount>/login}: a ServiceAccount JWT, checked as every bearer JWT is, exchanged for a login token that
     * stands for that ServiceAccount. A JWT that is not one is refused as any bad token is (403, audited, within the
     * per-address budget for callers nobody verified).
     */
    private void login(Call call) {
        JsonNode body;
        try {
            body = body(call.context());
        } catch (VaultRefusal e) {
            refuse(call, null, e.refusal(), e.getMessage());
            return;
        }
        String jwt = body.path("jwt").asText("");
        String role = body.path("role").asText("");
        if (jwt.isEmpty() || !ROLE.matcher(role).matches()) {
            refuse(call, null, Refusal.INVALID_REQUEST, "a login needs jwt, and role of 1 to 128 characters of [A-Za-z0-9_.@-]");
            return;
        }
        String mount = call.route().argument();
        authenticator.serviceAccount(jwt).subscribe().with(caller -> {
            AccessContext access = AccessContext.vault(caller, call.requestId(), call.client());
            Uni<Reply> reply = audited.perform(access, AuditOperation.TOKEN_LOGIN, Target.none(), 200,
                            () -> logins.issue(caller, mount, role, config.login().ttl(), config.login().maxTtl())
                                    .map(issued -> new Performed<>(issued, Target.login(issued.token().id()))))
                    .map(issued -> Reply.ok(VaultReplies.auth(call.requestId(), issued.secret(), CallerTokens.of(issued.token()),
                            audited.policiesOf(access), clock.instant())));
            answer(call, access, reply, false);
        }, failure -> {
            Refusal refusal = failure instanceof AuthenticationException ? Refusal.UNAUTHENTICATED : Refusal.AUTHENTICATION_UNAVAILABLE;
            LOG.debugf("request %s: login refused: %s", call.requestId(), failure.getMessage());
            audited.refuse(Channel.VAULT, call.requestId(), null, call.client(), AuditOperation.AUTHENTICATE, refusal, null)
                    .subscribe().with(sent -> send(call, refused(sent, false)));
        });
    }

    // ---- what every request shares ---------------------------------------------------------------------------------

    /**
     * Headers Lanyard will not pretend to honour: response wrapping (a client asking for it must not get the secret
     * unwrapped) and any namespace but the root one.
     */
    static Optional<String> screenHeaders(HttpServerRequest request) {
        String wrap = request.getHeader(WRAP_TTL);
        if (wrap != null && !wrap.isBlank()) {
            return Optional.of("response wrapping (X-Vault-Wrap-TTL) is not supported");
        }
        String namespace = request.getHeader(NAMESPACE);
        if (namespace != null && !namespace.isBlank() && !namespace.trim().equals("root") && !namespace.trim().equals("root/")
                && !namespace.trim().equals("/")) {
            return Optional.of("namespaces (X-Vault-Namespace) are not served: send none, or root");
        }
        return Optional.empty();
    }

    /** The request's JSON object, or an empty one for no body; {@link VaultRefusal} for anything else. */
    private JsonNode body(RoutingContext context) {
        Buffer buffer = context.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            return json.createObjectNode();
        }
        try {
            JsonNode node = json.readTree(buffer.getBytes());
            if (node == null || node.isMissingNode()) {
                return json.createObjectNode();
            }
            if (!node.isObject()) {
                throw new VaultRefusal(Refusal.MALFORMED_BODY, "the request body must be a JSON object");
            }
            return node;
        } catch (JsonParseException e) {
            boolean duplicate = e.getMessage() != null && e.getMessage().startsWith("Duplicate field");
            throw new VaultRefusal(duplicate ? Refusal.DUPLICATE_FIELD : Refusal.MALFORMED_BODY, null);
        } catch (IOException e) {
            throw new VaultRefusal(Refusal.MALFORMED_BODY, null);
        }
    }

    /** Records a refusal made here, before any operation, and answers it. */
    private void refuse(Call call, AccessContext access, Refusal refusal, String detail) {
        audited.refuse(Channel.VAULT, call.requestId(), access, call.client(), AuditOperation.REQUEST, refusal, detail)
                .subscribe().with(sent -> send(call, refused(sent, false)), failure -> unexpected(call, access, failure));
    }

    /** Answers an operation: its reply, or the refusal the broker or the audited access recorded. */
    private void answer(Call call, AccessContext access, Uni<Reply> reply, boolean kvRead) {
        reply.onFailure(Refused.class).recoverWithItem(failure -> {
                    Refused refused = (Refused) failure;
                    if (refused.unexpected()) {
                        LOG.errorf(refused.getCause(), "request %s failed unexpectedly", call.requestId());
                    }
                    return refused(refused, kvRead);
                })
                .subscribe().with(answer -> send(call, answer), failure -> unexpected(call, access, failure));
    }

    /** Outside every access (nothing here throws but a bug): recorded as the request's refusal, then answered. */
    private void unexpected(Call call, AccessContext access, Throwable failure) {
        LOG.errorf(failure, "request %s failed unexpectedly", call.requestId());
        audited.refuseUnexpected(Channel.VAULT, call.requestId(), access, call.client(), failure)
                .subscribe().with(refused -> send(call, refused(refused, false)));
    }

    private static Reply refused(Refused refused, boolean kvRead) {
        return new Reply(VaultReplies.status(refused.refusal()), VaultReplies.errors(VaultReplies.messages(refused, kvRead)),
                Map.of());
    }

    private void send(Call call, Reply reply) {
        HttpServerResponse response = call.context().response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(reply.status()).putHeader(HttpHeaders.CACHE_CONTROL, NO_STORE)
                .putHeader(REQUEST_ID, call.requestId());
        reply.headers().forEach(response::putHeader);
        if (reply.status() == 405) {
            response.putHeader(HttpHeaders.ALLOW, call.route().op().allowed());
        }
        if (reply.body() == null) {
            response.end();
            return;
        }
        response.putHeader(HttpHeaders.CONTENT_TYPE, JSON);
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(reply.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an answer could not be serialised", e);
        }
        if (call.request().method().name().toUpperCase(Locale.ROOT).equals(VaultRoute.HEAD)) {
            response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(bytes.length)).end();
            return;
        }
        response.end(Buffer.buffer(bytes));
    }

    private static String clientAddress(HttpServerRequest request) {
        return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    }
}
