package dev.lanyard.auth;

import dev.lanyard.support.ContextHop;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.InstantSource;
import java.util.Optional;

/**
 * Turns a bearer token into a {@link Caller}, or fails with {@link AuthenticationException} (401) when the token does
 * not identify anyone, or {@link AuthenticationUnavailableException} (503) when it cannot be checked right now.
 */
@ApplicationScoped
public class Authenticator {

    private final ApiTokenService apiTokens;
    private final LoginTokenService loginTokens;
    private final Optional<KubernetesTokenVerifier> kubernetes;
    private final Optional<ClusterSigningKeys> clusterKeys;
    private final AuthConfig config;

    Authenticator(AuthConfig config, InstantSource clock, ApiTokenService apiTokens, LoginTokenService loginTokens) {
        this.config = config;
        this.apiTokens = apiTokens;
        this.loginTokens = loginTokens;
        if (config.kubernetes().enabled()) {
            this.clusterKeys = Optional.of(KubernetesTokenVerifier.keys(config.kubernetes(), clock));
            this.kubernetes = Optional.of(new KubernetesTokenVerifier(clusterKeys.get(),
                    config.kubernetes().issuer().orElse(null), config.kubernetes().audiences()));
        } else {
            this.clusterKeys = Optional.empty();
            this.kubernetes = Optional.empty();
        }
    }

    void startRefreshingClusterKeys(@Observes StartupEvent ignored) {
        clusterKeys.ifPresent(keys -> keys.refreshEvery(config.kubernetes().jwksRefreshInterval()));
    }

    void stopRefreshingClusterKeys(@Observes ShutdownEvent ignored) {
        clusterKeys.ifPresent(ClusterSigningKeys::close);
    }

    public Uni<Caller> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Uni.createFrom().failure(new AuthenticationException("no bearer token"));
        }
        String token = authorizationHeader.substring(7).trim();
        Optional<ApiTokens.Parsed> apiToken = ApiTokens.parse(token);
        if (apiToken.isPresent()) {
            return apiTokens.verify(apiToken.get());
        }
        Optional<ApiTokens.Parsed> loginToken = ApiTokens.parseLogin(token);
        if (loginToken.isPresent()) {
            return loginTokens.verify(loginToken.get());
        }
        if (kubernetes.isPresent() && looksLikeJwt(token)) {
            return serviceAccountToken(token).map(KubernetesTokenVerifier.Verified::caller);
        }
        return Uni.createFrom().failure(new AuthenticationException("unrecognised token format"));
    }

    /**
     * The ServiceAccount a Kubernetes JWT names, checked exactly as a bearer JWT is: for exchanging it for a login token.
     * {@link AuthenticationException} when it is not one (or ServiceAccount tokens are not accepted at all).
     */
    public Uni<Caller> serviceAccount(String jwt) {
        return serviceAccountToken(jwt).map(KubernetesTokenVerifier.Verified::caller);
    }

    Uni<KubernetesTokenVerifier.Verified> serviceAccountToken(String jwt) {
        if (kubernetes.isEmpty() || jwt == null || !looksLikeJwt(jwt)) {
            return Uni.createFrom().failure(new AuthenticationException("not a ServiceAccount token Lanyard accepts"));
        }
        KubernetesTokenVerifier verifier = kubernetes.get();
        // Usually answered from keys in memory; a token with an unseen key id may wait for one bounded JWKS fetch,
        // so it runs off the event loop.
        return ContextHop.offload(Uni.createFrom().item(() -> verifier.verified(jwt)), Infrastructure.getDefaultWorkerPool());
    }

    private static boolean looksLikeJwt(String token) {
        return token.chars().filter(c -> c == '.').count() == 2;
    }
}
