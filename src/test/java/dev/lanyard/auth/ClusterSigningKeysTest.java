package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.support.TickingClock;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.lang.JoseException;
import org.junit.jupiter.api.Test;

class ClusterSigningKeysTest {

    private static final String ISSUER = "https://kubernetes.default.svc";

    private final TickingClock clock = new TickingClock();

    @Test
    void anUnreachableJwksIs503NotA401() throws Exception {
        RsaJsonWebKey key = key("k1");
        ClusterSigningKeys keys = new ClusterSigningKeys(() -> {
            throw new ConnectException("Connection refused");
        }, clock, Duration.ofSeconds(10));
        KubernetesTokenVerifier verifier = verifier(keys);
        assertThatThrownBy(() -> verifier.verify(token(key))).isInstanceOf(AuthenticationUnavailableException.class)
                .hasMessageContaining("connection refused");
    }

    @Test
    void aJwksThatNeverAnswersIsGivenUpOnAtTheTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread accepting = Thread.ofVirtual().start(() -> {
                try (Socket ignored = silent.accept()) {
                    Thread.sleep(Duration.ofMinutes(1)); // holds the connection open without ever answering
                } catch (IOException | InterruptedException e) {
                    // the test is over
                }
            });
            ClusterSigningKeys keys = new ClusterSigningKeys(ClusterSigningKeys.url(
                    URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/openid/v1/jwks"),
                    HttpClient.newHttpClient(), Duration.ofMillis(300), Optional.empty()), clock, Duration.ofSeconds(10));
            assertThatThrownBy(() -> verifier(keys).verify(token(key("k1"))))
                    .isInstanceOf(AuthenticationUnavailableException.class).hasMessageContaining("timed out");
            accepting.interrupt();
        }
    }

    @Test
    void aRotatedKeyIsFetchedOnce_andUnknownKeysCannotMakeItFetchMoreOftenThanTheGap() throws Exception {
        RsaJsonWebKey first = key("k1");
        RsaJsonWebKey second = key("k2");
        AtomicReference<String> published = new AtomicReference<>(jwks(first));
        AtomicInteger fetches = new AtomicInteger();
        ClusterSigningKeys keys = new ClusterSigningKeys(() -> {
            fetches.incrementAndGet();
            return published.get();
        }, clock, Duration.ofSeconds(10));
        KubernetesTokenVerifier verifier = verifier(keys);
        assertThat(verifier.verify(token(first)).subject()).isEqualTo("sa:payments/api");
        assertThat(verifier.verify(token(first)).subject()).isEqualTo("sa:payments/api");
        assertThat(fetches).hasValue(1);

        // The cluster rotates its key; a token signed with the new one is unknown within the gap (401) ...
        published.set(jwks(first, second));
        assertThatThrownBy(() -> verifier.verify(token(second))).isInstanceOf(AuthenticationException.class);
        assertThat(fetches).hasValue(1);
        // ... and after it, one fetch brings the new key in.
        clock.advance(Duration.ofSeconds(11));
        assertThat(verifier.verify(token(second)).subject()).isEqualTo("sa:payments/api");
        assertThat(fetches).hasValue(2);
        // A flood of tokens naming keys that do not exist costs no more fetches than the gap allows.
        for (int i = 0; i < 50; i++) {
            RsaJsonWebKey forged = key("forged-" + i);
            assertThatThrownBy(() -> verifier.verify(token(forged))).isInstanceOf(AuthenticationException.class);
        }
        assertThat(fetches).hasValue(2);
    }

    @Test
    void keysThatWereLoadedStayInUseWhenARefreshFails() throws Exception {
        RsaJsonWebKey key = key("k1");
        AtomicReference<Boolean> up = new AtomicReference<>(true);
        String document = jwks(key);
        ClusterSigningKeys keys = new ClusterSigningKeys(() -> {
            if (!up.get()) {
                throw new IOException("JWKS answered 503");
            }
            return document;
        }, clock, Duration.ofSeconds(10));
        KubernetesTokenVerifier verifier = verifier(keys);
        assertThat(verifier.verify(token(key)).subject()).isEqualTo("sa:payments/api");
        up.set(false);
        clock.advance(Duration.ofMinutes(10));
        keys.refreshIfDue();
        assertThat(verifier.verify(token(key)).subject()).isEqualTo("sa:payments/api");
    }

    private static KubernetesTokenVerifier verifier(ClusterSigningKeys keys) {
        return new KubernetesTokenVerifier(keys, ISSUER, List.of("lanyard"));
    }

    private static RsaJsonWebKey key(String kid) throws JoseException {
        RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
        key.setKeyId(kid);
        return key;
    }

    private static String jwks(RsaJsonWebKey... keys) {
        List<JsonWebKey> published = new ArrayList<>();
        for (RsaJsonWebKey key : keys) {
            RsaJsonWebKey publicOnly = new RsaJsonWebKey((RSAPublicKey) key.getPublicKey());
            publicOnly.setKeyId(key.getKeyId());
            published.add(publicOnly);
        }
        return new JsonWebKeySet(published).toJson();
    }

    private static String token(RsaJsonWebKey key) throws JoseException {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(ISSUER);
        claims.setSubject("system:serviceaccount:payments:api");
        claims.setAudience("lanyard");
        claims.setIssuedAtToNow();
        claims.setExpirationTimeMinutesInTheFuture(10);
        claims.setClaim("kubernetes.io", Map.of("namespace", "payments", "serviceaccount", Map.of("name", "api", "uid", "1")));
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }
}
