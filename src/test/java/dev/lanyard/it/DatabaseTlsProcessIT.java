package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.auth.ApiTokens;
import dev.lanyard.database.PostgresTls;
import dev.lanyard.devstack.DatabaseCertificates;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import io.restassured.path.json.JsonPath;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two packaged Lanyard replicas on a PostgreSQL that accepts TLS only ({@code ssl=on}, {@code hostssl} lines alone in
 * {@code pg_hba.conf}, a CA and server certificate made for the test), configured the way docs/configuration.md's
 * "TLS to PostgreSQL" says: {@code verify-full} and the CA file, nothing else. The owner's migration step, both
 * replicas' pools, schema checks and change relays connect over verified TLS; a plain connection is refused; a write
 * on one replica reaches the other's cache through the relay at once; and the relay listens again after the server
 * drops its connection.
 */
class DatabaseTlsProcessIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The per-identity lease cap both replicas enforce, and the roles each replica issues from at once. */
    private static final int LEASE_CAP = 3;
    private static final int RACING_ROLES = 4;

    /** Kept when a test fails: the replicas' and PostgreSQL's logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private final Map<String, Process> replicas = new LinkedHashMap<>();
    private final Map<String, String> bases = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Map<String, String> lanyardConfig;
    private String token;

    @BeforeEach
    void startTlsOnlyDatabaseAndTwoReplicas() throws Exception {
        database = EmbeddedDatabase.startTlsOnly(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        token = ApiTokens.generate(new SecureRandom());
        PackagedLanyard packaged = new PackagedLanyard(work);
        // The jar's own migration step, as the schema owner, with the same TLS settings as the service.
        packaged.migrate(database);
        lanyardConfig = new LinkedHashMap<>(database.lanyardConfig());
        Map<String, String> config = new LinkedHashMap<>(lanyardConfig);
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", randomKey()));
        config.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.auth.bootstrap-tokens.ops", "file:" + secret("token", token));
        config.put("lanyard.policy.ops.subjects", "token:ops");
        config.put("lanyard.policy.ops.rules[0].paths", "openbao/secret/**");
        config.put("lanyard.policy.ops.rules[0].capabilities", "read,write");
        config.put("lanyard.policy.ops.rules[1].paths", "openbao/database/creds/race-*");
        config.put("lanyard.policy.ops.rules[1].capabilities", "issue");
        config.put("lanyard.broker.max-leases-per-identity", String.valueOf(LEASE_CAP));
        // Longer than the test: a replica serves the new value early only because the relay told it to.
        config.put("lanyard.broker.static-ttl", "10m");
        for (String name : List.of("a", "b")) {
            int port = FreePort.pick();
            Map<String, String> own = new LinkedHashMap<>(config);
            own.put("quarkus.http.port", String.valueOf(port));
            replicas.put(name, packaged.start(own, name));
            bases.put(name, "http://127.0.0.1:" + port);
        }
        for (String name : replicas.keySet()) {
            packaged.awaitReady(replicas.get(name), bases.get(name));
        }
    }

    @AfterEach
    void stopEverything() {
        replicas.values().forEach(Process::destroyForcibly);
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }

    @Test
    void everyConnectionIsVerifiedTlsAndAWriteOnOneReplicaReachesTheOthersCacheAtOnce() throws Exception {
        for (String replica : bases.keySet()) {
            JsonPath ready = JsonPath.from(get(replica, "/q/health/ready"));
            assertThat(ready.getString("checks.find { it.name == 'database' }.data.tls")).as(replica)
                    .isEqualTo("verify-full (CA " + database.certificates().orElseThrow().ca() + ")");
            assertThat(ready.getString("checks.find { it.name == 'database' }.data.pool")).as(replica).isEqualTo("TLSv1.3");
            assertThat(ready.getString("checks.find { it.name == 'database' }.data.relay")).as(replica)
                    .isEqualTo("listening on lanyard_changes over TLS");
            String metrics = get(replica, "/q/metrics");
            assertThat(metrics).contains("lanyard_relay_connected 1.0", "lanyard_relay_tls 1.0",
                    "lanyard_database_tls{mode=\"verify-full\"} 1.0");
        }
        // The server's own account of every connection the replicas hold: TLS 1.3, two of them listening.
        List<String> connections = new ArrayList<>();
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select a.application_name, l.ssl, l.version from pg_stat_activity a"
                     + " join pg_stat_ssl l on l.pid = a.pid where a.usename = 'lanyard_app'")) {
            while (rows.next()) {
                connections.add(rows.getString(1) + " " + rows.getBoolean(2) + " " + rows.getString(3));
            }
        }
        assertThat(connections).as("the app role's connections").hasSizeGreaterThanOrEqualTo(4)
                .allMatch(line -> line.endsWith(" true TLSv1.3"))
                .filteredOn(line -> line.startsWith("lanyard-relay ")).hasSize(2);
        // The short-lived ones, from the server's log: the owner's migration step and each replica's schema check.
        String serverLog = Files.readString(work.resolve("postgres.log"));
        assertThat(serverLog).containsPattern("user=lanyard_owner database=lanyard application_name=lanyard-migrate SSL enabled \\(protocol=TLSv1.3")
                .containsPattern("user=lanyard_app database=lanyard application_name=lanyard-schema-check SSL enabled \\(protocol=TLSv1.3");
        assertThat(plainLoginRefusal()).contains("no encryption");
        ownerAndWrongCaConnections();

        String path = "secret/coherent/" + UUID.randomUUID();
        write("a", path, "v0");
        assertThat(read("b", path)).isEqualTo("v0");
        List<Long> delays = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            write("a", path, "v" + i);
            Instant written = Instant.now();
            awaitValue("b", path, "v" + i, Duration.ofSeconds(5));
            delays.add(Duration.between(written, Instant.now()).toMillis());
        }
        String relayed = get("b", "/q/metrics").lines().filter(line -> line.startsWith("lanyard_relay_delay_seconds"))
                .toList().toString();
        System.out.println("PROCESS write on a -> b serves it, over verify-full TLS, ms: " + delays + "; b's " + relayed);
        assertThat(relayed).as("b heard of all six writes through the relay").contains("lanyard_relay_delay_seconds_count 6.0");
    }

    @Test
    void theRelayListensAgainAfterTheServerDropsItsConnectionAndForgetsWhatItMayHaveMissed() throws Exception {
        String path = "secret/dropped/" + UUID.randomUUID();
        write("a", path, "before");
        assertThat(read("b", path)).isEqualTo("before");
        // Changed behind Lanyard's back: no replica hears of it, b keeps serving its cached copy.
        openBao.cli("kv", "put", path, "value=behind-the-back");
        assertThat(read("b", path)).isEqualTo("before");

        int dropped;
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity"
                     + " where application_name = 'lanyard-relay') t")) {
            rows.next();
            dropped = rows.getInt(1);
        }
        assertThat(dropped).as("relay connections the server dropped").isEqualTo(2);

        for (String replica : bases.keySet()) {
            awaitRelay(replica, "listening on lanyard_changes over TLS, reconnected 1 times", Duration.ofSeconds(20));
        }
        assertThat(read("b", path)).as("b dropped its cache when it listened again").isEqualTo("behind-the-back");
        write("a", path, "after");
        awaitValue("b", path, "after", Duration.ofSeconds(5));
        assertThat(get("b", "/q/metrics")).contains("lanyard_relay_connected 1.0");
    }

    /**
     * The per-identity lease cap is one count, kept by PostgreSQL, however many replicas issue: both replicas are asked at
     * the same moment to issue, for one identity, from more roles than the cap allows (each role a flight of its own, so
     * nothing is coalesced); exactly the cap is granted, the rest are 429, and the lease table holds no more live leases.
     */
    @Test
    void theLeaseCapHoldsWhenTwoReplicasRaceToIssueForOneIdentity() throws Exception {
        openBao.cli("secrets", "enable", "database");
        openBao.cli("write", "database/config/lanyard-postgres", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                "connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:" + database.port() + "/postgres?sslmode=require",
                "username=postgres", "password=" + database.superuserPassword());
        for (int role = 0; role < RACING_ROLES; role++) {
            openBao.createDatabaseRole("race-" + role, Duration.ofMinutes(10), Duration.ofMinutes(20));
        }
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> racing = new ArrayList<>();
        for (int role = 0; role < RACING_ROLES; role++) {
            for (String replica : bases.keySet()) {
                racing.add(http.sendAsync(HttpRequest.newBuilder(URI.create(bases.get(replica) + "/v1/creds/openbao/database/creds/race-" + role))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()));
            }
        }
        Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        for (var answer : racing) {
            HttpResponse<String> response = answer.join();
            statuses.merge(response.statusCode(), 1, Integer::sum);
            if (response.statusCode() == 429) {
                assertThat(response.body()).contains("LEASE_LIMIT_EXCEEDED");
            }
        }
        assertThat(statuses).as("answers to %d racing issues with a cap of %d", racing.size(), LEASE_CAP)
                .isEqualTo(Map.of(200, LEASE_CAP, 429, racing.size() - LEASE_CAP));
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select count(*) from lease where owner = 'token:ops' and revoked_at is null"
                     + " and expires_at > now()")) {
            rows.next();
            assertThat(rows.getInt(1)).as("live leases PostgreSQL holds for the identity").isEqualTo(LEASE_CAP);
        }
    }

    /** A login as the app role without TLS: what the server answers. */
    private String plainLoginRefusal() {
        Properties plain = new Properties();
        plain.setProperty("user", EmbeddedDatabase.APP);
        plain.setProperty("password", lanyardConfig.get("quarkus.datasource.password"));
        plain.setProperty("sslmode", "disable");
        try (Connection ignored = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + database.port() + "/lanyard", plain)) {
            throw new AssertionError("a plain-text login was accepted");
        } catch (SQLException refused) {
            assertThat(refused.getSQLState()).isEqualTo("28000");
            return refused.getMessage();
        }
    }

    /** The owner's jobs' connection (migration, pruning) runs verified TLS; the same settings with another CA connect nowhere. */
    private void ownerAndWrongCaConnections() throws Exception {
        Path ownerPassword = Files.writeString(work.resolve("owner-password-check"), database.ownerPassword());
        Map<String, String> owner = new HashMap<>(database.ownerConfig("file:" + ownerPassword));
        try (Connection c = PostgresTls.from(config(owner)).ownerJdbc(config(owner), "lanyard-audit-prune").getConnection();
             Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")) {
            rows.next();
            assertThat(rows.getBoolean(1) + " " + rows.getString(2)).isEqualTo("true TLSv1.3");
        }
        Map<String, String> strangerCa = new HashMap<>(lanyardConfig);
        strangerCa.put("quarkus.datasource.reactive.trust-certificate-pem.certs",
                DatabaseCertificates.create(work.resolve("stranger")).ca().toString());
        SmallRyeConfig wrong = config(strangerCa);
        assertThatThrownBy(() -> PostgresTls.from(wrong).serviceJdbc(wrong, "lanyard-schema-check").getConnection().close())
                .isInstanceOf(SQLException.class).hasStackTraceContaining("PKIX");
    }

    private static SmallRyeConfig config(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put("quarkus.datasource.reactive.hostname-verification-algorithm", "HTTPS");
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(all, "test", 500)).build();
    }

    private void awaitRelay(String replica, String expected, Duration within) throws Exception {
        Instant deadline = Instant.now().plus(within);
        String relay = "";
        while (Instant.now().isBefore(deadline)) {
            HttpResponse<String> ready = send(replica, HttpRequest.newBuilder(URI.create(bases.get(replica) + "/q/health/ready")).GET());
            relay = JsonPath.from(ready.body()).getString("checks.find { it.name == 'database' }.data.relay");
            if (expected.equals(relay) && ready.statusCode() == 200) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica " + replica + "'s relay is '" + relay + "', not '" + expected + "'");
    }

    private void awaitValue(String replica, String path, String value, Duration within) throws Exception {
        Instant deadline = Instant.now().plus(within);
        while (!read(replica, path).equals(value)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("replica " + replica + " still serves " + read(replica, path) + ", not " + value);
            }
            Thread.sleep(5);
        }
    }

    private void write(String replica, String path, String value) throws Exception {
        String body = JSON.writeValueAsString(Map.of("data", Map.of("value", value)));
        HttpResponse<String> written = send(replica, HttpRequest.newBuilder(URI.create(bases.get(replica) + "/v1/secrets/openbao/" + path))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    }

    private String read(String replica, String path) throws Exception {
        return JsonPath.from(get(replica, "/v1/secrets/openbao/" + path)).getString("data.value");
    }

    private String get(String replica, String path) throws Exception {
        HttpResponse<String> response = send(replica, HttpRequest.newBuilder(URI.create(bases.get(replica) + path)).GET());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> send(String replica, HttpRequest.Builder request) throws Exception {
        return http.send(request.header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String secret(String name, String value) throws Exception {
        return Files.writeString(work.resolve(name), value).toAbsolutePath().toString();
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
