package dev.lanyard.auth;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * Login tokens: issued to a verified Kubernetes ServiceAccount in exchange for its JWT (the Vault-compatible API's
 * {@code auth/<mount>/login}), standing for that ServiceAccount, renewed up to a maximum lifetime, revoked for good.
 * Verified like API tokens ({@link ApiTokenService}): trusted for {@code lanyard.auth.token-cache-ttl} without asking the
 * database again, so a revocation takes effect at once on the replica that made it and within that TTL on the others;
 * an unknown id and a wrong secret cost the same one read.
 */
@ApplicationScoped
public class LoginTokenService {

    /** Past this many remembered tokens, verified tokens are not remembered: the map cannot be grown without limit. */
    static final int REMEMBERED = 50_000;

    /** A newly issued login token: its description and, this once, the token itself. */
    public record Issued(LoginToken token, String secret) {
        @Override
        public String toString() {
            return "Issued[" + token + ", secret=(masked)]";
        }
    }


    private final LoginTokenRepository tokens;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    private final RememberedTokens known;

    LoginTokenService(LoginTokenRepository tokens, AuthConfig config, InstantSource clock) {
        this.tokens = tokens;
        this.clock = clock;
        this.known = new RememberedTokens(config, REMEMBERED);
    }

    /** The ServiceAccount a login token stands for, or {@link AuthenticationException}. */
    Uni<Caller> verify(ApiTokens.Parsed token) {
        // Hashed once, whatever follows: a cached token, a row read, or no row at all cost one hash each, so timing does
        // not tell a wrong secret for a known id from an unknown id (as ApiTokenService; LoginTokenServiceTest measures it).
        byte[] presented = ApiTokens.hash(token.secret());
        Instant now = clock.instant();
        Optional<String> cached = known.holder(token.id(), presented, now);
        if (cached.isPresent()) {
            return Uni.createFrom().item(Caller.loginToken(token.id(), cached.get()));
        }
        return live(token.id(), presented).map(row -> Caller.loginToken(row.id, row.subject));
    }

    /** The live token this string is, described; {@link AuthenticationException} when it is unknown, expired or revoked. */
    Uni<LoginToken> describe(ApiTokens.Parsed token) {
        return live(token).map(LoginTokenEntity::describe);
    }

    /**
     * Issues a login token for a verified ServiceAccount: it lives {@code ttl} and may be renewed until {@code maxTtl}
     * after now. It is shown once; only its hash is kept.
     */
    public Uni<Issued> issue(Caller serviceAccount, String authMount, String role, Duration ttl, Duration maxTtl) {
        if (serviceAccount.kind() != Caller.Kind.SERVICE_ACCOUNT) {
            throw new IllegalArgumentException("login tokens stand for ServiceAccounts only");
        }
        String secret = ApiTokens.generateLogin(random);
        ApiTokens.Parsed parsed = ApiTokens.parseLogin(secret).orElseThrow();
        Instant now = clock.instant();
        Duration max = maxTtl.compareTo(ttl) < 0 ? ttl : maxTtl;
        LoginTokenEntity row = new LoginTokenEntity();
        row.id = parsed.id();
        row.subject = serviceAccount.subject();
        row.secretHash = ApiTokens.hash(parsed.secret());
        row.authMount = authMount;
        row.role = role;
        row.createdAt = now;
        row.ttlSeconds = ttl.toSeconds();
        row.expiresAt = now.plus(ttl);
        row.maxExpiresAt = now.plus(max);
        return tokens.insert(row).map(saved -> new Issued(saved.describe(), secret));
    }

    /**
     * Extends a live login token to {@code increment} from now (its own TTL when none is asked for), never past its
     * maximum lifetime.
     *
     * @return the token as it now stands; {@link AuthenticationException} when it is unknown, expired or revoked
     */
    Uni<LoginToken> renew(ApiTokens.Parsed token, Optional<Duration> increment) {
        return live(token).chain(row -> {
            Instant now = clock.instant();
            Instant wanted = now.plus(increment.filter(Duration::isPositive).orElse(Duration.ofSeconds(row.ttlSeconds)));
            Instant granted = wanted.isAfter(row.maxExpiresAt) ? row.maxExpiresAt : wanted;
            return tokens.renew(row.id, granted, now).map(updated -> {
                if (updated != 1) {
                    known.forget(row.id);
                    throw new AuthenticationException("login token expired or was revoked while it was renewed");
                }
                row.expiresAt = granted;
                row.lastRenewedAt = now;
                known.extend(row.id, granted);
                return row.describe();
            });
        });
    }

    /** Revokes a live login token for good; {@link AuthenticationException} when it is unknown, expired or revoked. */
    Uni<LoginToken> revoke(ApiTokens.Parsed token, String revokedBy) {
        return live(token).chain(row -> tokens.revoke(row.id, revokedBy, clock.instant()).map(updated -> {
            known.forget(row.id);
            if (updated != 1) {
                throw new AuthenticationException("login token was revoked meanwhile");
            }
            return row.describe();
        }));
    }

    /** Reads the row and checks the secret: one read whether the id is unknown or the secret wrong. */
    private Uni<LoginTokenEntity> live(ApiTokens.Parsed token) {
        return live(token.id(), ApiTokens.hash(token.secret()));
    }

    /** The live token of this id whose secret hashes to {@code presented}; {@link AuthenticationException} otherwise. */
    private Uni<LoginTokenEntity> live(String id, byte[] presented) {
        return tokens.byId(id).map(row -> {
            Instant now = clock.instant();
            if (row == null || !row.liveAt(now)) {
                known.forget(id);
                throw new AuthenticationException("unknown, expired or revoked login token");
            }
            known.remember(row.id, row.subject, row.secretHash, row.expiresAt, now);
            if (!MessageDigest.isEqual(presented, row.secretHash)) {
                throw new AuthenticationException("unknown, expired or revoked login token");
            }
            return row;
        });
    }
}
