package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.interfaces.RSAPublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.HmacKey;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;
import org.jose4j.lang.JoseException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KubernetesTokenVerifierTest {

    private static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
    private static final String AUDIENCE = "lanyard";

    private static RsaJsonWebKey signingKey;
    private static RsaJsonWebKey otherKey;
    private static KubernetesTokenVerifier verifier;

    @BeforeAll
    static void keys() throws JoseException {
        signingKey = RsaJwkGenerator.generateJwk(2048);
        signingKey.setKeyId("cluster-key");
        otherKey = RsaJwkGenerator.generateJwk(2048);
        otherKey.setKeyId("cluster-key");

        RsaJsonWebKey publicJwk = new RsaJsonWebKey((RSAPublicKey) signingKey.getPublicKey());
        publicJwk.setKeyId("cluster-key");
        publicJwk.setAlgorithm(AlgorithmIdentifiers.RSA_USING_SHA256);
        verifier = new KubernetesTokenVerifier(new JwksVerificationKeyResolver(List.<JsonWebKey>of(publicJwk)), ISSUER,
                List.of(AUDIENCE, "other-accepted"));
    }

    private static JwtClaims claims() {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setSubject("system:serviceaccount:payments:api");
        claims.setAudience(AUDIENCE);
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(10);
        Map<String, Object> kubernetes = new LinkedHashMap<>();
        kubernetes.put("namespace", "payments");
        kubernetes.put("serviceaccount", Map.of("name", "api", "uid", "0b1d6a3c-0000-4000-8000-000000000000"));
        claims.setClaim("kubernetes.io", kubernetes);
        return claims;
    }

    private static JwtClaims claims(Consumer<JwtClaims> change) {
        JwtClaims claims = claims();
        change.accept(claims);
        return claims;
    }

    private static String sign(JwtClaims claims, RsaJsonWebKey key) throws JoseException {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }

    private static String sign(JwtClaims claims) throws JoseException {
        return sign(claims, signingKey);
    }

    @Test
    void aValidServiceAccountTokenMapsToItsSubject() throws Exception {
        Caller caller = verifier.verify(sign(claims()));

        assertThat(caller.subject()).isEqualTo("sa:payments/api");
        assertThat(caller.kind()).isEqualTo(Caller.Kind.SERVICE_ACCOUNT);
    }

    @Test
    void anyConfiguredAudienceIsAccepted() throws Exception {
        Caller caller = verifier.verify(sign(claims(c -> c.setAudience("unrelated", "other-accepted"))));
        assertThat(caller.subject()).isEqualTo("sa:payments/api");
    }

    @Test
    void wrongAudienceIsRejected() throws Exception {
        String token = sign(claims(c -> c.setAudience("https://kubernetes.default.svc")));
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("service account token rejected");
    }

    @Test
    void missingAudienceIsRejected() throws Exception {
        String token = sign(claims(c -> c.unsetClaim("aud")));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void wrongIssuerIsRejected() throws Exception {
        String token = sign(claims(c -> c.setIssuer("https://evil.example")));
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("service account token rejected");
    }

    @Test
    void expiredTokenIsRejectedAsExpired() throws Exception {
        String token = sign(claims(c -> {
            c.setIssuedAt(NumericDate.fromSeconds(NumericDate.now().getValue() - 3600));
            c.setExpirationTime(NumericDate.fromSeconds(NumericDate.now().getValue() - 120));
        }));
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessage("service account token rejected: expired");
    }

    @Test
    void tokenWithoutExpiryIsRejected() throws Exception {
        String token = sign(claims(c -> c.unsetClaim("exp")));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void tokenSignedByAnotherKeyIsRejected() throws Exception {
        String token = sign(claims(), otherKey);
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("service account token rejected");
    }

    @Test
    void tamperedPayloadIsRejected() throws Exception {
        String[] parts = sign(claims()).split("\\.");
        String forgedPayload = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                claims(c -> c.setClaim("kubernetes.io", Map.of("namespace", "kube-system",
                        "serviceaccount", Map.of("name", "admin")))).toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String token = parts[0] + "." + forgedPayload + "." + parts[2];

        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void unsignedTokenIsRejected() throws Exception {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims().toJson());
        jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.NONE);
        jws.setKeyIdHeaderValue("cluster-key");
        String token = jws.getCompactSerialization();
        assertThat(token).endsWith(".");

        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("service account token rejected");
    }

    @Test
    void hmacSignedTokenIsRejectedEvenWithThePublicKeyAsSecret() throws Exception {
        // The classic key-confusion attack: HS256 "signed" with the verifier's public key bytes.
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims().toJson());
        jws.setAlgorithmConstraints(AlgorithmConstraints.NO_CONSTRAINTS);
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.HMAC_SHA256);
        jws.setKeyIdHeaderValue("cluster-key");
        jws.setKey(new HmacKey(signingKey.getPublicKey().getEncoded()));
        jws.setDoKeyValidation(false);
        String token = jws.getCompactSerialization();

        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessageStartingWith("service account token rejected");
    }

    @Test
    void tokenWithoutTheKubernetesClaimIsRejected() throws Exception {
        String token = sign(claims(c -> c.unsetClaim("kubernetes.io")));
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessage("service account token lacks the kubernetes.io claim");
    }

    @Test
    void kubernetesClaimWithoutServiceAccountNameIsRejected() throws Exception {
        String token = sign(claims(c -> c.setClaim("kubernetes.io", Map.of("namespace", "payments",
                "serviceaccount", Map.of("uid", "x")))));
        assertThatThrownBy(() -> verifier.verify(token))
                .isInstanceOf(AuthenticationException.class)
                .hasMessage("service account token lacks the kubernetes.io claim");
    }

    @Test
    void kubernetesClaimWithoutNamespaceIsRejected() throws Exception {
        String token = sign(claims(c -> c.setClaim("kubernetes.io", Map.of("serviceaccount", Map.of("name", "api")))));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void tokenWithoutSubjectIsRejected() throws Exception {
        String token = sign(claims(c -> c.unsetClaim("sub")));
        assertThatThrownBy(() -> verifier.verify(token)).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void garbageIsRejected() {
        assertThatThrownBy(() -> verifier.verify("not.a.jwt")).isInstanceOf(AuthenticationException.class);
        assertThatThrownBy(() -> verifier.verify("")).isInstanceOf(AuthenticationException.class);
    }
}
