package dev.lanyard.it;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.OpenBaoDevServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * The real peers for integration tests: an embedded PostgreSQL (Lanyard's own database, and the database
 * OpenBao issues logins for), an OpenBao dev server with KV v2 and the database engine, and a second OpenBao
 * the tests may stop to watch Lanyard fail fast. Each on a free loopback port, stopped afterwards.
 */
public class LanyardPeers implements QuarkusTestResourceLifecycleManager {

    /** Roles in OpenBao's database engine: one per test concern so lease counts do not interfere. */
    public static final String ROLE_APP = "app";
    public static final String ROLE_FLIGHT = "flight";
    public static final String ROLE_CAP = "capped";

    public static final String CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";

    private static LanyardPeers current;
    private org.jose4j.jwk.RsaJsonWebKey clusterKey;

    private Path work;
    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private OpenBaoDevServer doomedOpenBao;
    private final Map<String, String> tokens = new HashMap<>();

    public static LanyardPeers current() {
        return current;
    }

    @Override
    public Map<String, String> start() {
        Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed for integration tests: run scripts/test.sh, which installs it into .cache/venv"));
        try {
            work = Files.createTempDirectory("lanyard-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        // Migrations are a separate step run as the schema owner; the service under test holds only the app role.
        database.migrate();
        openBao = OpenBaoDevServer.start(binary, work.resolve("openbao"));
        doomedOpenBao = OpenBaoDevServer.start(binary, work.resolve("openbao-doomed"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), ROLE_APP, Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.createDatabaseRole(ROLE_FLIGHT, Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.createDatabaseRole(ROLE_CAP, Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.cli("kv", "put", "secret/payments/config", "api_key=first-version");
        openBao.cli("kv", "put", "secret/payments/config", "api_key=second-version");

        Map<String, String> config = new HashMap<>(database.lanyardConfig());
        config.put("lanyard.audit.lease-hmac-key", "file:" + writeSecret("lease-hmac.key", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + writeSecret("audit-signing.key", randomKey()));
        config.put("lanyard.audit.checkpoint-file", checkpointFile().toString());
        config.put("lanyard.audit.archive-directory", work.resolve("audit-archive").toString());
        config.put("lanyard.audit.checkpoint-interval", "1h");
        // Room for AuditWriterIT to hold the chain lock while a batch forms, and still a bound on every wait.
        config.put("lanyard.audit.lock-timeout", "4s");
        config.put("lanyard.audit.append-timeout", "6s");
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + writeSecret("openbao-token", openBao.rootToken()));
        config.put("lanyard.vault.doomed.address", doomedOpenBao.address());
        config.put("lanyard.vault.doomed.auth.token", "file:" + writeSecret("doomed-token", doomedOpenBao.rootToken()));
        for (String name : new String[] {"app", "flight", "capped", "nobody", "admin", "auditor", "revocable", "rotating"}) {
            String token = ApiTokens.generate(new SecureRandom());
            tokens.put(name, token);
            config.put("lanyard.auth.bootstrap-tokens." + name, "file:" + writeSecret("token-" + name, token));
        }
        policy(config, "app", "token:app", "openbao/database/creds/app,openbao/secret/payments/**", "read,issue,renew,revoke");
        policy(config, "flight", "token:flight", "openbao/database/creds/flight", "issue");
        policy(config, "capped", "token:capped", "openbao/database/creds/capped", "issue,renew,revoke");
        policy(config, "admin", "token:admin", "openbao/**", "read,renew,revoke,admin");
        config.put("lanyard.policy.admin.rules[1].paths", "audit/**");
        config.put("lanyard.policy.admin.rules[1].capabilities", "audit:read,admin");
        config.put("lanyard.policy.admin.rules[2].paths", "lanyard/tokens,lanyard/tokens/*");
        config.put("lanyard.policy.admin.rules[2].capabilities", "admin");
        policy(config, "auditor", "token:auditor", "audit/**", "audit:read");
        policy(config, "revocable", "token:revocable,token:rotating", "openbao/secret/payments/**", "read");
        config.put("lanyard.auth.token-cache-ttl", "2s");
        policy(config, "doomed", "token:app", "doomed/**", "read,issue");
        config.put("lanyard.broker.max-leases-per-identity", "3");

        // Kubernetes ServiceAccount callers, verified against this "cluster's" JWKS.
        try {
            clusterKey = org.jose4j.jwk.RsaJwkGenerator.generateJwk(2048);
            clusterKey.setKeyId("cluster-signing-key");
            org.jose4j.jwk.PublicJsonWebKey published = org.jose4j.jwk.PublicJsonWebKey.Factory.newPublicJwk(clusterKey.getPublicKey());
            published.setKeyId(clusterKey.getKeyId());
            String jwks = new org.jose4j.jwk.JsonWebKeySet(published).toJson();
            config.put("lanyard.auth.kubernetes.enabled", "true");
            config.put("lanyard.auth.kubernetes.jwks-file", writeSecret("cluster-jwks.json", jwks));
            config.put("lanyard.auth.kubernetes.issuer", CLUSTER_ISSUER);
            config.put("lanyard.auth.kubernetes.audiences", "lanyard");
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException(e);
        }
        policy(config, "payments-workloads", "sa:payments/*", "openbao/database/creds/app", "issue");
        current = this;
        return config;
    }

    private static void policy(Map<String, String> config, String name, String subjects, String paths, String capabilities) {
        config.put("lanyard.policy." + name + ".subjects", subjects);
        config.put("lanyard.policy." + name + ".rules[0].paths", paths);
        config.put("lanyard.policy." + name + ".rules[0].capabilities", capabilities);
    }

    private String writeSecret(String name, String value) {
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

    public String token(String name) {
        return tokens.get(name);
    }

    /** A projected ServiceAccount token as the cluster would mint it. */
    public String serviceAccountToken(String namespace, String name, String audience) {
        try {
            org.jose4j.jwt.JwtClaims claims = new org.jose4j.jwt.JwtClaims();
            claims.setIssuer(CLUSTER_ISSUER);
            claims.setSubject("system:serviceaccount:" + namespace + ":" + name);
            claims.setClaim("aud", java.util.List.of(audience));
            claims.setExpirationTimeMinutesInTheFuture(10);
            claims.setIssuedAtToNow();
            claims.setClaim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount", Map.of("name", name, "uid", "1")));
            org.jose4j.jws.JsonWebSignature jws = new org.jose4j.jws.JsonWebSignature();
            jws.setPayload(claims.toJson());
            jws.setKey(clusterKey.getPrivateKey());
            jws.setKeyIdHeaderValue(clusterKey.getKeyId());
            jws.setAlgorithmHeaderValue(org.jose4j.jws.AlgorithmIdentifiers.RSA_USING_SHA256);
            return jws.getCompactSerialization();
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The published checkpoints, outside the database. */
    public Path checkpointFile() {
        return work.resolve("audit-checkpoints.jsonl");
    }

    /** OpenBao's file audit device: one JSON line per request and response it handled. */
    public Path openBaoAuditLog() {
        return openBao.auditLog();
    }

    public Path archiveDirectory() {
        return work.resolve("audit-archive");
    }

    public EmbeddedDatabase database() {
        return database;
    }

    public OpenBaoDevServer openBao() {
        return openBao;
    }

    public OpenBaoDevServer doomedOpenBao() {
        return doomedOpenBao;
    }

    @Override
    public void stop() {
        if (doomedOpenBao != null) {
            doomedOpenBao.close();
        }
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
