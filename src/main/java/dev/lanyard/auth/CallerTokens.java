package dev.lanyard.auth;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a caller may do with the token it presented, whichever kind it is: describe it, renew it (login tokens only) and
 * revoke it (API and login tokens; a ServiceAccount JWT belongs to its cluster). Each verifies the token first, so a
 * caller only ever learns about, extends or ends its own; nothing here ever touches a backend's token.
 */
@ApplicationScoped
public class CallerTokens {

    /** Which kind of token was presented. */
    public enum Kind {
        /** A Lanyard API token ({@code lyt_…}). */
        API_TOKEN,
        /** A login token from the Vault-compatible API's Kubernetes login ({@code lyl_…}). */
        LOGIN_TOKEN,
        /** A Kubernetes ServiceAccount JWT, presented as it is. */
        SERVICE_ACCOUNT_TOKEN
    }

    /**
     * A token as its holder may see it: never a secret but the one the holder presented.
     *
     * @param accessor     the token's public id (empty for a ServiceAccount JWT, which has none)
     * @param name         the API token's name, the login token's id, or the ServiceAccount's subject
     * @param expiresAt    null for a token without an expiry
     * @param creationTtl  the lifetime it was issued with; zero for a token without an expiry
     * @param maxExpiresAt no renewal takes it past this; null for a token that cannot be renewed
     * @param path         the Vault-style path it came from ({@code auth/kubernetes/login}, {@code auth/token/create})
     * @param meta         what the login said (role, ServiceAccount name and namespace), or the API token's name
     */
    public record Facts(Kind kind, String accessor, String name, Caller caller, Instant issuedAt, Instant expiresAt,
                        Duration creationTtl, Instant maxExpiresAt, Instant lastRenewedAt, String path,
                        Map<String, String> meta) {

        /** Whether a renewal could still extend it at {@code now}. */
        public boolean renewableAt(Instant now) {
            return kind == Kind.LOGIN_TOKEN && expiresAt != null && maxExpiresAt != null && now.isBefore(expiresAt)
                    && expiresAt.isBefore(maxExpiresAt);
        }
    }

    private final ApiTokenService apiTokens;
    private final LoginTokenService loginTokens;
    private final Authenticator authenticator;

    CallerTokens(ApiTokenService apiTokens, LoginTokenService loginTokens, Authenticator authenticator) {
        this.apiTokens = apiTokens;
        this.loginTokens = loginTokens;
        this.authenticator = authenticator;
    }

    /** Describes the presented token; {@link AuthenticationException} when it does not identify anyone. */
    public Uni<Facts> describe(String token) {
        Optional<ApiTokens.Parsed> api = ApiTokens.parse(token);
        if (api.isPresent()) {
            return apiTokens.describe(api.get()).map(CallerTokens::facts);
        }
        Optional<ApiTokens.Parsed> login = ApiTokens.parseLogin(token);
        if (login.isPresent()) {
            return loginTokens.describe(login.get()).map(CallerTokens::facts);
        }
        return authenticator.serviceAccountToken(token).map(CallerTokens::facts);
    }

    /**
     * Extends the presented login token ({@link LoginTokenService#renew}). Callers check {@link Facts#kind()} first:
     * any other token is refused here with {@link IllegalArgumentException}.
     */
    public Uni<Facts> renew(String token, Optional<Duration> increment) {
        ApiTokens.Parsed login = ApiTokens.parseLogin(token).orElseThrow(() ->
                new IllegalArgumentException("only login tokens are renewed"));
        return loginTokens.renew(login, increment).map(CallerTokens::facts);
    }

    /**
     * Revokes the presented API or login token, for good, as its own holder did. Callers check {@link Facts#kind()}
     * first: a ServiceAccount JWT is refused here with {@link IllegalArgumentException}.
     */
    public Uni<Facts> revoke(String token, String revokedBy) {
        Optional<ApiTokens.Parsed> api = ApiTokens.parse(token);
        if (api.isPresent()) {
            return apiTokens.describe(api.get()).chain(described -> apiTokens.revoke(described.id(), revokedBy).map(revoked -> {
                if (!revoked) {
                    throw new AuthenticationException("API token was revoked meanwhile");
                }
                return facts(described);
            }));
        }
        ApiTokens.Parsed login = ApiTokens.parseLogin(token).orElseThrow(() ->
                new IllegalArgumentException("a ServiceAccount token is not Lanyard's to revoke"));
        return loginTokens.revoke(login, revokedBy).map(CallerTokens::facts);
    }

    private static Facts facts(ApiToken token) {
        Duration ttl = token.expiresAt() == null ? Duration.ZERO : Duration.between(token.createdAt(), token.expiresAt());
        return new Facts(Kind.API_TOKEN, token.id(), token.name(), Caller.apiToken(token.id(), token.name()), token.createdAt(),
                token.expiresAt(), ttl, null, null, "auth/token/create", Map.of("name", token.name()));
    }

    /** A login token just issued, described as {@link #describe} would describe it. */
    public static Facts of(LoginToken token) {
        return facts(token);
    }

    private static Facts facts(LoginToken token) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("role", token.role());
        String subject = token.subject();
        int slash = subject.indexOf('/');
        if (subject.startsWith("sa:") && slash > 3) {
            meta.put("service_account_name", subject.substring(slash + 1));
            meta.put("service_account_namespace", subject.substring(3, slash));
        }
        return new Facts(Kind.LOGIN_TOKEN, token.id(), token.id(), Caller.loginToken(token.id(), subject),
                token.createdAt(), token.expiresAt(), token.ttl(), token.maxExpiresAt(), token.lastRenewedAt(),
                "auth/" + token.authMount() + "/login", meta);
    }

    private static Facts facts(KubernetesTokenVerifier.Verified jwt) {
        Duration ttl = jwt.issuedAt() == null || jwt.expiresAt() == null ? Duration.ZERO
                : Duration.between(jwt.issuedAt(), jwt.expiresAt());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("service_account_name", jwt.name());
        meta.put("service_account_namespace", jwt.namespace());
        return new Facts(Kind.SERVICE_ACCOUNT_TOKEN, "", jwt.caller().subject(), jwt.caller(),
                jwt.issuedAt(), jwt.expiresAt(), ttl, null, null, "", meta);
    }
}
