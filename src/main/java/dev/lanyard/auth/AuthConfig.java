package dev.lanyard.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
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
    @WithDefault("10s")
    Duration tokenCacheTtl();

    /** Kubernetes ServiceAccount tokens. */
    Kubernetes kubernetes();

    interface Kubernetes {
        /** Accept ServiceAccount JWTs at all. */
        @WithDefault("false")
        boolean enabled();

        /** The cluster's JWKS URL ({@code https://<apiserver>/openid/v1/jwks}). */
        Optional<String> jwksUrl();

        /** Or a file holding the JWKS JSON (for clusters whose JWKS is distributed out of band); re-read on refresh. */
        Optional<String> jwksFile();

        /**
         * PEM file with the CA that signs the JWKS URL's certificate (for the API server: its cluster CA,
         * {@code /var/run/secrets/kubernetes.io/serviceaccount/ca.crt}). Unset: the JVM's trust store.
         */
        Optional<Path> jwksCaFile();

        /**
         * Reference ({@code file:} or {@code env:}) to a bearer token for fetching the JWKS, when the API server does
         * not serve it anonymously: Lanyard's own ServiceAccount token,
         * {@code file:/var/run/secrets/kubernetes.io/serviceaccount/token}.
         */
        Optional<String> jwksToken();

        /** Longest a JWKS fetch may take; verifying waits for one only when it meets a key it has not seen. */
        @WithDefault("3s")
        Duration jwksTimeout();

        /** How often the keys are refreshed in the background. */
        @WithDefault("5m")
        Duration jwksRefreshInterval();

        /** Fewest time between two fetches that a token with an unknown key id may cause. */
        @WithDefault("10s")
        Duration jwksRefreshGap();

        /** Expected {@code iss} claim, e.g. {@code https://kubernetes.default.svc.cluster.local}. */
        Optional<String> issuer();

        /** Accepted {@code aud} values; a token must name at least one. Projected tokens should use {@code lanyard}. */
        @WithDefault("lanyard")
        List<String> audiences();
    }
}
