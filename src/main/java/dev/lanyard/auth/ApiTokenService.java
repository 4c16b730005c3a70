package dev.lanyard.auth;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * API tokens: issued by an administrator (or ensured from the bootstrap configuration), verified on every request,
 * revoked for good. A verified token is trusted for {@code lanyard.auth.token-cache-ttl} without asking the
 * database again; a revocation takes effect at once on the replica that made it and within that TTL on the others.
 *
 * <p>Verification costs the same whether the id is unknown or the secret is wrong: both read the token's row once
 * (a wrong secret for a cached token is checked against a fresh read) and hash the presented secret once, so timing
 * does not tell which ids exist (ApiTokenServiceTest measures it).
 */
@ApplicationScoped
public class ApiTokenService {

    /** What happened to one configured bootstrap token at start-up. */
    public enum Bootstrap {
        /** A new token was stored. */
        CREATED,
        /** A new token was stored and the name's earlier bootstrap tokens were revoked: the configured value changed. */
        REPLACED,
        /** The configured token exists and is live. */
        UNCHANGED,
        /** The configured token was revoked: revocation is final, it stays revoked until the configuration changes. */
        REVOKED
    }

    /** A newly issued token: its description and, this once, the token itself. */
    public record Issued(ApiToken token, String secret) {
        @Override
        public String toString() {
            return "Issued[" + token + ", secret=(masked)]";
        }
    }


    private final ApiTokenRepository tokens;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    private final RememberedTokens known;

    ApiTokenService(ApiTokenRepository tokens, AuthConfig config, InstantSource clock) {
        this.tokens = tokens;
        this.clock = clock;
        // API tokens exist only as administrators issue them: no bound beyond the ids that exist.
        this.known = new RememberedTokens(config, Integer.MAX_VALUE);
    }

    /** The caller a token string stands for, or {@link AuthenticationException}. */
    Uni<Caller> verify(ApiTokens.Parsed token) {
        // Hashed once, whatever follows: a cached token, a row read, or no row at all cost one hash each.
        byte[] presented = ApiTokens.hash(token.secret());
        Instant now = clock.instant();
        Optional<String> cached = known.holder(token.id(), presented, now);
        if (cached.isPresent()) {
            return Uni.createFrom().item(Caller.apiToken(token.id(), cached.get()));
        }
        // A store that cannot answer (down, or a connection closed at its response deadline) says nothing about the
        // caller: 503, never 401, and never the store's own exception as a 500.
        return tokens.byId(token.id())
                .onFailure().transform(failure -> new AuthenticationUnavailableException("the API token store cannot be reached"))
                .map(row -> {
            if (row == null || !row.liveAt(clock.instant())) {
                known.forget(token.id());
                throw new AuthenticationException("unknown, expired or revoked API token");
            }
            known.remember(token.id(), row.name, row.secretHash, row.expiresAt, clock.instant());
            if (!MessageDigest.isEqual(presented, row.secretHash)) {
                throw new AuthenticationException("unknown, expired or revoked API token");
            }
            return Caller.apiToken(row.id, row.name);
        });
    }

    /** The live token this string is, described; {@link AuthenticationException} when it is not one. */
    Uni<ApiToken> describe(ApiTokens.Parsed token) {
        return tokens.byId(token.id()).map(row -> {
            if (row == null || !row.liveAt(clock.instant()) || !ApiTokens.matches(token.secret(), row.secretHash)) {
                throw new AuthenticationException("unknown, expired or revoked API token");
            }
            return row.describe();
        });
    }

    /** Issues a token for {@code name}; it is shown once, only its hash is kept. */
    public Uni<Issued> issue(String name, Optional<Duration> ttl, String issuedBy) {
        String secret = ApiTokens.generate(random);
        ApiTokens.Parsed parsed = ApiTokens.parse(secret).orElseThrow();
        ApiTokenEntity row = new ApiTokenEntity();
        row.id = parsed.id();
        row.name = name;
        row.secretHash = ApiTokens.hash(parsed.secret());
        row.createdAt = clock.instant();
        row.createdBy = issuedBy;
        row.expiresAt = ttl.map(row.createdAt::plus).orElse(null);
        return tokens.insert(row).map(saved -> new Issued(saved.describe(), secret));
    }

    public Uni<List<ApiToken>> list() {
        return tokens.all().map(rows -> rows.stream().map(ApiTokenEntity::describe).toList());
    }

    public Uni<Optional<ApiToken>> find(String id) {
        return tokens.byId(id).map(row -> Optional.ofNullable(row).map(ApiTokenEntity::describe));
    }

    /** Revokes a live token; false when there is no live token with that id. Final: it never works again. */
    public Uni<Boolean> revoke(String id, String revokedBy) {
        return tokens.revoke(id, revokedBy, clock.instant()).map(updated -> {
            known.forget(id);
            return updated == 1;
        });
    }

    /**
     * Ensures a configured token exists. A revoked one stays revoked; a new value for a name replaces (revokes) that
     * name's earlier bootstrap tokens, which is how a bootstrap token is rotated.
     */
    public Uni<Bootstrap> bootstrap(String name, String token) {
        ApiTokens.Parsed parsed = ApiTokens.parse(token).orElseThrow(() ->
                new IllegalStateException("bootstrap token '" + name + "' is not of the form lyt_<id>_<secret>"));
        ApiTokenEntity row = new ApiTokenEntity();
        row.id = parsed.id();
        row.name = name;
        row.secretHash = ApiTokens.hash(parsed.secret());
        row.createdAt = clock.instant();
        row.createdBy = "bootstrap";
        return tokens.insertIfAbsent(row).chain(inserted -> {
            if (inserted) {
                return tokens.revokeBootstrapped(name, row.id, "bootstrap", clock.instant())
                        .map(replaced -> replaced > 0 ? Bootstrap.REPLACED : Bootstrap.CREATED);
            }
            return tokens.byId(parsed.id()).map(existing -> {
                if (!existing.name.equals(name) || !ApiTokens.matches(parsed.secret(), existing.secretHash)) {
                    throw new IllegalStateException("bootstrap token '" + name + "' collides with another stored token");
                }
                return existing.revokedAt == null ? Bootstrap.UNCHANGED : Bootstrap.REVOKED;
            });
        });
    }
}
