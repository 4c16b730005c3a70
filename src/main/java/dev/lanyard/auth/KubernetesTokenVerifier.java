package dev.lanyard.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jose4j.jwk.HttpsJwks;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.HttpsJwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.keys.resolvers.VerificationKeyResolver;
import org.jose4j.lang.JoseException;

/**
 * Verifies Kubernetes ServiceAccount JWTs against the cluster's signing keys (JWKS): signature, expiry,
 * issuer, audience, and the {@code kubernetes.io} claim that names namespace and ServiceAccount. Signature
 * algorithms are restricted to RS256/ES256 (what kube-apiserver signs with); {@code none} is never accepted.
 * May block on the first JWKS fetch: call it off the event loop.
 */
public final class KubernetesTokenVerifier {

    private final JwtConsumer consumer;

    KubernetesTokenVerifier(VerificationKeyResolver keys, String issuer, java.util.List<String> audiences) {
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setAllowedClockSkewInSeconds(30)
                .setRequireSubject()
                .setExpectedAudience(true, audiences.toArray(String[]::new))
                .setVerificationKeyResolver(keys)
                .setJwsAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.ConstraintType.PERMIT, "RS256", "ES256");
        if (issuer != null) {
            builder.setExpectedIssuer(issuer);
        }
        this.consumer = builder.build();
    }

    static KubernetesTokenVerifier from(AuthConfig.Kubernetes config) {
        VerificationKeyResolver keys;
        if (config.jwksFile().isPresent()) {
            try {
                keys = new JwksVerificationKeyResolver(new JsonWebKeySet(Files.readString(Path.of(config.jwksFile().get())))
                        .getJsonWebKeys());
            } catch (IOException | JoseException e) {
                throw new IllegalStateException("lanyard.auth.kubernetes.jwks-file cannot be read as a JWKS");
            }
        } else if (config.jwksUrl().isPresent()) {
            keys = new HttpsJwksVerificationKeyResolver(new HttpsJwks(config.jwksUrl().get()));
        } else {
            throw new IllegalStateException("lanyard.auth.kubernetes needs jwks-url or jwks-file");
        }
        return new KubernetesTokenVerifier(keys, config.issuer().orElse(null), config.audiences());
    }

    Caller verify(String jwt) {
        try {
            JwtClaims claims = consumer.processToClaims(jwt);
            Object kubernetes = claims.getClaimValue("kubernetes.io");
            if (kubernetes instanceof Map<?, ?> k8s && k8s.get("namespace") instanceof String namespace
                    && k8s.get("serviceaccount") instanceof Map<?, ?> sa && sa.get("name") instanceof String name) {
                return Caller.serviceAccount(namespace, name);
            }
            throw new AuthenticationException("service account token lacks the kubernetes.io claim");
        } catch (InvalidJwtException e) {
            throw new AuthenticationException("service account token rejected: "
                    + (e.hasExpired() ? "expired" : e.getErrorDetails().isEmpty() ? "invalid"
                    : "error code " + e.getErrorDetails().getFirst().getErrorCode()));
        }
    }
}
