package dev.lanyard.auth;

import io.quarkus.hibernate.reactive.panache.Panache;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.support.ContextHop;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.InstantSource;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Turns a bearer token into a {@link Caller}, or fails with {@link AuthenticationException}. */
@ApplicationScoped
public class Authenticator {

    private static final Logger LOG = Logger.getLogger(Authenticator.class);

    private final AuthConfig config;
    private final InstantSource clock;
    private final Optional<KubernetesTokenVerifier> kubernetes;

    private final AuditLog audit;
    private final java.util.concurrent.ConcurrentHashMap<String, KnownToken> knownTokens = new java.util.concurrent.ConcurrentHashMap<>();

    @Inject
    Authenticator(AuthConfig config, InstantSource clock, AuditLog audit) {
        this.config = config;
        this.audit = audit;
        this.clock = clock;
        this.kubernetes = config.kubernetes().enabled()
                ? Optional.of(KubernetesTokenVerifier.from(config.kubernetes()))
                : Optional.empty();
    }

    /** Ensures the configured bootstrap tokens exist (hash only); run at start-up. */
    void bootstrap(@Observes StartupEvent ignored) throws Throwable {
        for (var entry : config.bootstrapTokens().entrySet()) {
            String name = entry.getKey();
            String reference = entry.getValue();
            String token = dev.lanyard.support.SecretReference.parse(reference).resolve();
            ApiTokens.Parsed parsed = ApiTokens.parse(token).orElseThrow(() ->
                    new IllegalStateException("bootstrap token '" + name + "' is not of the form lyt_<id>_<secret>"));
            VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> Panache.getSession().chain(session -> session
                            .createNativeQuery("insert into api_token (id, name, secret_hash, created_at) values (?1, ?2, ?3, ?4) "
                                    + "on conflict (name) do update set id = excluded.id, secret_hash = excluded.secret_hash, revoked_at = null")
                            .setParameter(1, parsed.id()).setParameter(2, name)
                            .setParameter(3, ApiTokens.hash(parsed.secret())).setParameter(4, clock.instant())
                            .executeUpdate())));
            VertxContextSupport.subscribeAndAwait(() -> audit.append(new AuditEvent(clock.instant(), "startup", "system",
                    "token.bootstrap", "lanyard", "tokens/" + name, null, null, AuditEvent.Outcome.SUCCESS, 200, null, null)));
            LOG.infof("API token '%s' is ready", name);
        }
    }

    public Uni<Caller> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().failure(new AuthenticationException("no bearer token"));
        }
        String token = authorizationHeader.substring(7).trim();
        Optional<ApiTokens.Parsed> apiToken = ApiTokens.parse(token);
        if (apiToken.isPresent()) {
            return verifyApiToken(apiToken.get());
        }
        if (kubernetes.isPresent() && token.chars().filter(c -> c == '.').count() == 2) {
            KubernetesTokenVerifier verifier = kubernetes.get();
            // jose4j may fetch the JWKS over blocking HTTP on first use: keep it off the event loop.
            return ContextHop.offload(Uni.createFrom().item(() -> verifier.verify(token)),
                    Infrastructure.getDefaultWorkerPool());
        }
        return Uni.createFrom().failure(new AuthenticationException("unrecognised token format"));
    }

    /** A stored token as last read from the database. Only its hash is held, never the token. */
    private record KnownToken(String name, byte[] secretHash, java.time.Instant readAt) {}

    private Uni<Caller> verifyApiToken(ApiTokens.Parsed token) {
        KnownToken known = knownTokens.get(token.id());
        if (known != null && clock.instant().isBefore(known.readAt().plus(config.tokenCacheTtl()))) {
            // Every request used to cost a database round trip here; the hash comparison is the same either way.
            return Uni.createFrom().item(() -> caller(token, known));
        }
        return Panache.withSession(() -> Panache.getSession().chain(s -> s.find(ApiTokenEntity.class, token.id())))
                .map(row -> {
                    if (row == null || row.revokedAt != null) {
                        knownTokens.remove(token.id());
                        throw new AuthenticationException("unknown or revoked API token");
                    }
                    KnownToken fresh = new KnownToken(row.name, row.secretHash, clock.instant());
                    // Only ids that exist are remembered, so probing with random ids cannot grow this map.
                    knownTokens.put(token.id(), fresh);
                    return caller(token, fresh);
                });
    }

    private static Caller caller(ApiTokens.Parsed token, KnownToken known) {
        if (!ApiTokens.matches(token.secret(), known.secretHash())) {
            throw new AuthenticationException("unknown or revoked API token");
        }
        return Caller.apiToken(known.name());
    }
}
