package dev.lanyard.it;

import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.auth.ApiTokens;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.lang.JoseException;

/**
 * Who calls the service under test, and what they may do: a bootstrap API token per test concern, the policies that
 * bind them, a "cluster" whose signing key mints ServiceAccount tokens, and the audit keys and checkpoint file.
 * Injected into {@code @InjectPeer TestCallers} fields by {@link Resource}.
 */
public final class TestCallers {

    public static final String CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";
    /** Above what the tests refuse from 127.0.0.1 in a minute; HostileInputIT exhausts it from another address. */
    public static final int ANONYMOUS_REFUSALS_PER_MINUTE = 300;
    /** The address that plays an ingress in the tests: the only one whose X-Forwarded-For is believed. */
    public static final String TRUSTED_PROXY = "127.0.0.20";

    private final Path work;
    private final Map<String, String> tokens = new HashMap<>();
    private final RsaJsonWebKey clusterKey;

    private TestCallers(Path work, RsaJsonWebKey clusterKey) {
        this.work = work;
        this.clusterKey = clusterKey;
    }

    public String token(String name) {
        return tokens.get(name);
    }

    /** {@code Bearer <token>} for one of the named callers. */
    public String bearer(String name) {
        return "Bearer " + token(name);
    }

    /** A projected ServiceAccount token as the cluster would mint it. */
    public String serviceAccountToken(String namespace, String name, String audience) {
        try {
            JwtClaims claims = new JwtClaims();
            claims.setIssuer(CLUSTER_ISSUER);
            claims.setSubject("system:serviceaccount:" + namespace + ":" + name);
            claims.setClaim("aud", List.of(audience));
            claims.setExpirationTimeMinutesInTheFuture(10);
            claims.setIssuedAtToNow();
            claims.setClaim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount", Map.of("name", name, "uid", "1")));
            JsonWebSignature jws = new JsonWebSignature();
            jws.setPayload(claims.toJson());
            jws.setKey(clusterKey.getPrivateKey());
            jws.setKeyIdHeaderValue(clusterKey.getKeyId());
            jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The published checkpoints, outside the database. */
    public Path checkpointFile() {
        return work.resolve("audit-checkpoints.jsonl");
    }

    public Path archiveDirectory() {
        return work.resolve("audit-archive");
    }

    /** The public half of the audit signing key the service runs with, as an auditor holds it. */
    public byte[] auditPublicKey() {
        return stolenAuditSigningKey().publicKey();
    }

    /** The audit signing key itself: what a test needs to play an attacker who stole it. */
    public CheckpointSigner stolenAuditSigningKey() {
        try {
            return CheckpointSigner.fromBase64Seed(Files.readString(work.resolve("audit-signing.key")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The test resource: generates the callers and configures Lanyard with them. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {

        private TestCallers callers;

        @Override
        public Map<String, String> start() {
            RsaJsonWebKey clusterKey;
            try {
                clusterKey = RsaJwkGenerator.generateJwk(2048);
                clusterKey.setKeyId("cluster-signing-key");
                callers = new TestCallers(Files.createTempDirectory("lanyard-it-callers-"), clusterKey);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (JoseException e) {
                throw new IllegalStateException(e);
            }
            return callers.configuration();
        }

        @Override
        public void inject(TestInjector injector) {
            injector.injectIntoFields(callers, PostgresResource.peer(TestCallers.class));
        }

        @Override
        public void stop() {
            // files only, in a temporary directory
        }
    }

    private Map<String, String> configuration() {
        Map<String, String> config = new HashMap<>();
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("lease-hmac.key", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + secret("audit-signing.key", randomKey()));
        config.put("lanyard.audit.checkpoint-file", checkpointFile().toString());
        config.put("lanyard.audit.archive-directory", archiveDirectory().toString());
        config.put("lanyard.audit.checkpoint-interval", "1h");
        // Room for AuditWriterIT to hold the chain lock while a batch forms, and still a bound on every wait.
        config.put("lanyard.audit.lock-timeout", "10s");
        config.put("lanyard.audit.append-timeout", "12s");
        config.put("lanyard.audit.commit-timeout", "12s");
        for (String name : new String[] {"app", "flight", "capped", "nobody", "admin", "auditor", "revocable", "rotating", "writer", "traced",
                "ops", "minter"}) {
            String token = ApiTokens.generate(new SecureRandom());
            tokens.put(name, token);
            config.put("lanyard.auth.bootstrap-tokens." + name, "file:" + secret("token-" + name, token));
        }
        policy(config, "app", "token:app", "openbao/database/creds/app,openbao/database/creds/" + OpenBaoResource.ROLE_MISSING
                + ",openbao/secret/payments/**", "read,issue,renew,revoke");
        policy(config, "flight", "token:flight", "openbao/database/creds/flight", "issue");
        policy(config, "capped", "token:capped", "openbao/database/creds/capped", "issue,renew,revoke");
        policy(config, "admin", "token:admin", "openbao/**", "read,renew,revoke,lease:admin");
        config.put("lanyard.policy.admin.rules[1].paths", "audit/**");
        config.put("lanyard.policy.admin.rules[1].capabilities", "audit:read,audit:admin");
        config.put("lanyard.policy.admin.rules[2].paths", "lanyard/tokens,lanyard/tokens/*");
        config.put("lanyard.policy.admin.rules[2].capabilities", "token:admin");
        // A backend name no backend has: lets a caller get past policy to BACKEND_NOT_FOUND.
        config.put("lanyard.policy.admin.rules[3].paths", "nowhere/**");
        config.put("lanyard.policy.admin.rules[3].capabilities", "read");
        policy(config, "auditor", "token:auditor", "audit/**", "audit:read");
        // An operations grant for cleaning up leases everywhere, and a token administrator for st-* tokens only.
        policy(config, "ops", "token:ops", "**", "read,renew,revoke,lease:admin");
        policy(config, "minter", "token:minter", "lanyard/tokens,lanyard/tokens/st-*", "token:admin");
        policy(config, "writer", "token:writer", "openbao/secret/written/**,openbao/database/creds/app", "read,write");
        policy(config, "revocable", "token:revocable,token:rotating", "openbao/secret/payments/**", "read");
        // ObservabilityIT's caller: its first credential request is a cache miss, so its trace shows the backend call.
        policy(config, "traced", "token:traced", "openbao/database/creds/app", "issue");
        config.put("lanyard.auth.token-cache-ttl", "2s");
        config.put("lanyard.http.anonymous-refusals-per-minute", String.valueOf(ANONYMOUS_REFUSALS_PER_MINUTE));
        // One loopback address plays the ingress: only requests from it may name their client in X-Forwarded-For.
        config.put("quarkus.http.proxy.proxy-address-forwarding", "true");
        config.put("quarkus.http.proxy.allow-x-forwarded", "true");
        config.put("quarkus.http.proxy.trusted-proxies", TRUSTED_PROXY);
        policy(config, "doomed", "token:app", "doomed/**", "read,issue");
        config.put("lanyard.broker.max-leases-per-identity", "3");

        // Kubernetes ServiceAccount callers, verified against this "cluster's" JWKS.
        try {
            PublicJsonWebKey published = PublicJsonWebKey.Factory.newPublicJwk(clusterKey.getPublicKey());
            published.setKeyId(clusterKey.getKeyId());
            config.put("lanyard.auth.kubernetes.enabled", "true");
            config.put("lanyard.auth.kubernetes.jwks-file", secret("cluster-jwks.json", new JsonWebKeySet(published).toJson()));
            config.put("lanyard.auth.kubernetes.issuer", CLUSTER_ISSUER);
            config.put("lanyard.auth.kubernetes.audiences", "lanyard");
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
        policy(config, "payments-workloads", "sa:payments/*", "openbao/database/creds/app", "issue");
        return config;
    }

    private static void policy(Map<String, String> config, String name, String subjects, String paths, String capabilities) {
        config.put("lanyard.policy." + name + ".subjects", subjects);
        config.put("lanyard.policy." + name + ".rules[0].paths", paths);
        config.put("lanyard.policy." + name + ".rules[0].capabilities", capabilities);
    }

    private String secret(String name, String value) {
        try {
            return Files.writeString(work.resolve(name), value).toAbsolutePath().toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
