package dev.lanyard.auth;

import dev.lanyard.support.SecretReference;
import dev.lanyard.support.TlsTrust;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.VerificationKeyResolver;

/**
 * Verifies Kubernetes ServiceAccount JWTs against the cluster's signing keys (JWKS): signature, expiry,
 * issuer, audience, and the {@code kubernetes.io} claim that names namespace and ServiceAccount. Signature
 * algorithms are restricted to RS256/ES256 (what kube-apiserver signs with); {@code none} is never accepted.
 * May block on a bounded JWKS fetch when a token names a key not seen yet: call it off the event loop. Fails with
 * {@link AuthenticationUnavailableException} when no keys can be had.
 */
public final class KubernetesTokenVerifier {

    private final JwtConsumer consumer;

    KubernetesTokenVerifier(VerificationKeyResolver keys, String issuer, List<String> audiences) {
        JwtConsumerBuilder builder = new JwtConsumerBuilder()
                .setRequireExpirationTime()
                .setAllowedClockSkewInSeconds(30)
                .setRequireSubject()
                .setExpectedAudience(true, audiences.toArray(String[]::new))
                .setVerificationKeyResolver(keys)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, "RS256", "ES256");
        if (issuer != null) {
            builder.setExpectedIssuer(issuer);
        }
        this.consumer = builder.build();
    }

    /** The cluster's keys as configured: a JWKS URL (fetched with a bounded timeout over Lanyard's TLS trust) or a file. */
    static ClusterSigningKeys keys(AuthConfig.Kubernetes config, InstantSource clock) {
        ClusterSigningKeys.Source source;
        if (config.jwksFile().isPresent()) {
            source = ClusterSigningKeys.file(Path.of(config.jwksFile().get()));
        } else if (config.jwksUrl().isPresent()) {
            HttpClient http = HttpClient.newBuilder().sslContext(TlsTrust.context(config.jwksCaFile()))
                    .connectTimeout(config.jwksTimeout()).build();
            source = ClusterSigningKeys.url(URI.create(config.jwksUrl().get()), http, config.jwksTimeout(),
                    config.jwksToken().map(reference -> SecretReference.parse(reference).resolve()));
        } else {
            throw new IllegalStateException("lanyard.auth.kubernetes needs jwks-url or jwks-file");
        }
        return new ClusterSigningKeys(source, clock, config.jwksRefreshGap());
    }

    /** A verified ServiceAccount token: who it names, and when it was issued and expires (null when it does not say). */
    record Verified(Caller caller, String namespace, String name, Instant issuedAt, Instant expiresAt) {}

    Caller verify(String jwt) {
        return verified(jwt).caller();
    }

    Verified verified(String jwt) {
        try {
            JwtClaims claims = consumer.processToClaims(jwt);
            Object kubernetes = claims.getClaimValue("kubernetes.io");
            if (kubernetes instanceof Map<?, ?> k8s && k8s.get("namespace") instanceof String namespace
                    && k8s.get("serviceaccount") instanceof Map<?, ?> sa && sa.get("name") instanceof String name) {
                return new Verified(Caller.serviceAccount(namespace, name), namespace, name, instant(claims.getIssuedAt()),
                        instant(claims.getExpirationTime()));
            }
            throw new AuthenticationException("service account token lacks the kubernetes.io claim");
        } catch (InvalidJwtException e) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                // jose4j wraps what the key resolver throws: keys that could not be had are not a verdict on the token.
                if (cause instanceof AuthenticationUnavailableException unavailable) {
                    throw unavailable;
                }
            }
            throw new AuthenticationException("service account token rejected: "
                    + (e.hasExpired() ? "expired" : e.getErrorDetails().isEmpty() ? "invalid"
                    : "error code " + e.getErrorDetails().getFirst().getErrorCode()));
        } catch (MalformedClaimException e) {
            throw new AuthenticationException("service account token rejected: malformed claims");
        }
    }

    private static Instant instant(NumericDate date) {
        return date == null ? null : Instant.ofEpochSecond(date.getValue());
    }
}
