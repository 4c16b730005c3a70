package dev.lanyard.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How callers prove who they are. */
@ConfigMapping(prefix = "lanyard.auth")
public interface AuthConfig {

    /**
     * API tokens ensured at start-up, by token name: a reference ({@code file:} or {@code env:}) to the full
     * token string ({@code lyt_<id>_<secret>}). Only its hash is stored.
     */
    Map<String, String> bootstrapTokens();

    /**
     * How long a verified API token is trusted without asking the database again. A revoked token keeps working
     * for at most this long on each replica; zero checks the database on every request.
     */
    @io.smallrye.config.WithDefault("10s")
    java.time.Duration tokenCacheTtl();

    /** Kubernetes ServiceAccount tokens. */
    Kubernetes kubernetes();

    interface Kubernetes {
        /** Accept ServiceAccount JWTs at all. */
        @WithDefault("false")
        boolean enabled();

        /** The cluster's JWKS URL ({@code https://<apiserver>/openid/v1/jwks}). */
        Optional<String> jwksUrl();

        /** Or a file holding the JWKS JSON (for clusters whose JWKS is distributed out of band). */
        Optional<String> jwksFile();

        /** Expected {@code iss} claim, e.g. {@code https://kubernetes.default.svc.cluster.local}. */
        Optional<String> issuer();

        /** Accepted {@code aud} values; a token must name at least one. Projected tokens should use {@code lanyard}. */
        @WithDefault("lanyard")
        List<String> audiences();
    }
}
