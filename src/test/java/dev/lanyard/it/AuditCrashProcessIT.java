package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the packaged Lanyard while clients fetch secrets and credentials: after a restart, every
 * response a client received as 200 has its audit row, and the chain verifies. Runs against the real jar as a
 * separate process (failsafe, after {@code package}).
 */
class AuditCrashProcessIT {

    // Each test starts its own PostgreSQL, OpenBao and Lanyard processes on free loopback ports.

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS)
    Path work;

    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private Process lanyard;
    private PackagedLanyard lanyardProcess;

    @AfterEach
    void stopEverything() {
        if (lanyard != null) {
            lanyard.destroyForcibly();
        }
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }

    private String token;
    private Map<String, String> config;

    @org.junit.jupiter.api.BeforeEach
    void startPeers() throws Exception {
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "app", Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.cli("kv", "put", "secret/crash/config", "api_key=crash-test");
        token = ApiTokens.generate(new SecureRandom());
        lanyardProcess = new PackagedLanyard(work);
        lanyardProcess.migrate(database);
        config = new LinkedHashMap<>(database.lanyardConfig());
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", randomKey()));
        config.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.auth.bootstrap-tokens.load", "file:" + secret("token", token));
        config.put("lanyard.policy.load.subjects", "token:load");
        config.put("lanyard.policy.load.rules[0].paths", "**");
        config.put("lanyard.policy.load.rules[0].capabilities", "read,issue");
        // audit:read applies only under audit/, in a rule that names it (policy/PolicyEngine refuses it on **).
        config.put("lanyard.policy.load.rules[1].paths", "audit/**");
        config.put("lanyard.policy.load.rules[1].capabilities", "audit:read");
    }

    /** How many times the process is killed in one run; {@code -Dlanyard.crash.rounds=N} for more. */
    private static final int ROUNDS = Integer.getInteger("lanyard.crash.rounds", 10);

    @Test
    void everyAnsweredRequestIsAuditedAcrossRepeatedHardCrashes() throws Exception {
        int port = FreePort.pick();
        config.put("quarkus.http.port", String.valueOf(port));
        String base = "http://127.0.0.1:" + port;
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Set<String> okIds = new HashSet<>();
        for (int round = 1; round <= ROUNDS; round++) {
            lanyard = start(config, "round-" + round);
            awaitReady(lanyard, base);
            // After each restart: everything answered before the last kill is in the log, and the log verifies.
            assertEveryAnswerAuditedAndChainValid(client, base, okIds, "after kill " + (round - 1));

            ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService load = load(List.of(base), 16, answered, running);
            // Let the load build up, then pull the plug mid-flight; bounded, so a stalled server fails the test.
            Instant until = Instant.now().plusSeconds(2);
            Instant giveUp = Instant.now().plusSeconds(60);
            while ((Instant.now().isBefore(until) || answered.size() < 50) && Instant.now().isBefore(giveUp)) {
                Thread.sleep(50);
            }
            lanyard.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hooks, no final checkpoint
            running.set(false);
            load.shutdown();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(answered).as("round %d answered requests before the kill", round).hasSizeGreaterThanOrEqualTo(50);
            okIds.addAll(answered);
        }

        lanyard = start(config, "final");
        awaitReady(lanyard, base);
        assertEveryAnswerAuditedAndChainValid(client, base, okIds, "after kill " + ROUNDS);

        // A graceful stop signs the head on the way out and publishes it outside the database.
        lanyard.destroy(); // SIGTERM
        assertThat(lanyard.waitFor(60, TimeUnit.SECONDS)).isTrue();
        long head;
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet rows = c.createStatement().executeQuery("select max(seq) from audit_event")) {
            rows.next();
            head = rows.getLong(1);
        }
        List<String> published = Files.readAllLines(work.resolve("checkpoints.jsonl"));
        assertThat(published).isNotEmpty();
        assertThat(Checkpoint.fromJsonLine(published.getLast()).seq()).isEqualTo(head);
    }

    private void assertEveryAnswerAuditedAndChainValid(HttpClient client, String base, Set<String> okIds, String when)
            throws Exception {
        Set<String> audited = auditedRequestIds();
        List<String> missing = new ArrayList<>(okIds);
        missing.removeAll(audited);
        assertThat(missing).as("200 responses without an audit row, " + when).isEmpty();
        HttpResponse<String> verify = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/audit/verify"))
                .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(verify.statusCode()).as(when).isEqualTo(200);
        assertThat(JsonPath.from(verify.body()).getBoolean("valid")).as(when + ": " + verify.body()).isTrue();
    }

    /**
     * Two replicas append to one chain at once. Without the chain lock they would read the same head and collide
     * (unique seq, the follows-the-head trigger): requests would be refused with 503. So every request must succeed,
     * every one must have its row, and both replicas' rows must be interleaved in one valid chain.
     */
    @Test
    void twoReplicasWritingAtOnceShareOneValidChain() throws Exception {
        int firstPort = FreePort.pick();
        int secondPort = FreePort.pick();
        Map<String, String> second = new LinkedHashMap<>(config);
        config.put("quarkus.http.port", String.valueOf(firstPort));
        second.put("quarkus.http.port", String.valueOf(secondPort));
        lanyard = start(config, "replica-1");
        Process other = start(second, "replica-2");
        try {
            awaitReady(lanyard, "http://127.0.0.1:" + firstPort);
            awaitReady(other, "http://127.0.0.1:" + secondPort);

            ConcurrentLinkedQueue<String> answered = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService load = load(List.of("http://127.0.0.1:" + firstPort, "http://127.0.0.1:" + secondPort), 8,
                    answered, refused, running);
            Instant until = Instant.now().plusSeconds(4);
            Instant giveUp = Instant.now().plusSeconds(60);
            while ((Instant.now().isBefore(until) || answered.size() < 200) && Instant.now().isBefore(giveUp)) {
                Thread.sleep(100);
            }
            running.set(false);
            load.shutdown();
            assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(refused).as("requests not answered 200 while both replicas wrote").isEmpty();
            assertThat(answered).hasSizeGreaterThanOrEqualTo(200);

            Set<String> audited = auditedRequestIds();
            assertThat(audited).containsExactlyInAnyOrderElementsOf(answered);
            try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
                 ResultSet rows = c.createStatement().executeQuery("select count(*), count(distinct seq), max(seq) - min(seq) + 1, "
                         // how often the writing replica changes along the chain: both wrote, in turns, into one sequence
                         + "(select count(*) from (select left(request_id, 8) as replica, lag(left(request_id, 8)) "
                         + "over (order by seq) as previous from audit_event where request_id like 'crash-b%') t "
                         + "where replica <> previous) from audit_event")) {
                rows.next();
                assertThat(rows.getLong(2)).as("no two events share a sequence number").isEqualTo(rows.getLong(1));
                assertThat(rows.getLong(3)).as("no gaps").isEqualTo(rows.getLong(1));
                assertThat(rows.getLong(4)).as("the replicas' events alternate along the chain").isGreaterThan(10);
            }
            HttpResponse<String> verify = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + secondPort + "/v1/audit/verify"))
                    .header("Authorization", "Bearer " + token).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(JsonPath.from(verify.body()).getBoolean("valid")).as(verify.body()).isTrue();
        } finally {
            other.destroyForcibly();
        }
    }

    private ExecutorService load(List<String> bases, int workersPerBase, ConcurrentLinkedQueue<String> answered,
                                 AtomicBoolean running) {
        return load(bases, workersPerBase, answered, new ConcurrentLinkedQueue<>(), running);
    }

    /**
     * Workers spread over the given Lanyard URLs (worker w on base w mod n), recording the request ids that got a 200
     * and those answered otherwise while the test still wanted answers.
     */
    private ExecutorService load(List<String> bases, int workersPerBase, ConcurrentLinkedQueue<String> answered,
                                 ConcurrentLinkedQueue<String> refused, AtomicBoolean running) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        for (int worker = 0; worker < workersPerBase * bases.size(); worker++) {
            int w = worker;
            int baseIndex = worker % bases.size();
            String base = bases.get(baseIndex);
            load.submit(() -> {
                for (int i = 0; running.get() && i < 100_000; i++) {
                    String requestId = "crash-b" + baseIndex + "-" + w + "-" + i + "-" + UUID.randomUUID();
                    HttpRequest request = (i % 10 == 0
                            ? HttpRequest.newBuilder(URI.create(base + "/v1/creds/openbao/database/creds/app")).POST(HttpRequest.BodyPublishers.noBody())
                            : HttpRequest.newBuilder(URI.create(base + "/v1/secrets/openbao/secret/crash/config")).GET())
                            .header("Authorization", "Bearer " + token).header("X-Request-Id", requestId)
                            .timeout(Duration.ofSeconds(5)).build();
                    try {
                        int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                        if (status == 200) {
                            answered.add(requestId);
                        } else if (running.get()) {
                            refused.add(requestId + ": " + status);
                        }
                    } catch (IOException | InterruptedException e) {
                        if (!running.get()) {
                            return;
                        }
                    }
                }
            });
        }
        return load;
    }

    private Set<String> auditedRequestIds() throws java.sql.SQLException {
        Set<String> audited = new HashSet<>();
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             PreparedStatement s = c.prepareStatement("select request_id from audit_event where request_id like 'crash-%' and status = 200")) {
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    audited.add(rows.getString(1));
                }
            }
        }
        return audited;
    }

    private Process start(Map<String, String> config, String name) throws IOException {
        return lanyardProcess.start(config, name);
    }

    private void awaitReady(Process process, String base) throws Exception {
        lanyardProcess.awaitReady(process, base);
    }

    private Path secret(String name, String value) throws IOException {
        return Files.writeString(work.resolve(name), value);
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
