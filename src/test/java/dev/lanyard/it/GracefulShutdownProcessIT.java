package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The packaged Lanyard as an operator runs it, with its production logging and shutdown: SIGTERM in the middle of a
 * load run drains and stops it cleanly, and its JSON log lines carry request ids and never a secret. Real PostgreSQL
 * and OpenBao, started once for the class; each test starts its own Lanyard process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GracefulShutdownProcessIT {

    /** The pod's termination grace period the shutdown must fit in (deploy/: 5 s drain + 20 s for requests + room). */
    private static final Duration GRACE_PERIOD = Duration.ofSeconds(40);
    private static final Duration DRAIN_DELAY = Duration.ofSeconds(5);
    private static final String KV_PATH = "secret/shutdown/config";

    private final ObjectMapper json = new ObjectMapper();
    private Path work;
    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private PackagedLanyard packaged;
    private Process lanyard;
    private String token;
    private String canary;
    private Map<String, String> config;

    @BeforeAll
    void startPeers() throws Exception {
        work = Files.createTempDirectory("lanyard-shutdown-");
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "app", Duration.ofMinutes(10),
                Duration.ofHours(1));
        canary = "canary-" + HexFormat.of().formatHex(random(16));
        openBao.cli("kv", "put", KV_PATH, "api_key=" + canary);
        packaged = new PackagedLanyard(work);
        packaged.migrate(database);
        token = ApiTokens.generate(new SecureRandom());
        config = new LinkedHashMap<>(database.lanyardConfig());
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", Base64.getEncoder().encodeToString(random(32))));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", Base64.getEncoder().encodeToString(random(32))));
        config.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.auth.bootstrap-tokens.load", "file:" + secret("token", token));
        config.put("lanyard.policy.load.subjects", "token:load");
        config.put("lanyard.policy.load.rules[0].paths", "**");
        config.put("lanyard.policy.load.rules[0].capabilities", "read,issue,renew,revoke");
        // audit:read applies only under audit/, in a rule that names it (policy/PolicyEngine refuses it on **).
        config.put("lanyard.policy.load.rules[1].paths", "audit/**");
        config.put("lanyard.policy.load.rules[1].capabilities", "audit:read");
    }

    @AfterEach
    void stopLanyard() {
        if (lanyard != null) {
            lanyard.destroyForcibly();
        }
    }

    @AfterAll
    void stopPeers() {
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /** What one request of the load run saw. */
    private record Answer(String requestId, int status, String code, String failure, Instant at) {}

    @Test
    void sigtermUnderLoadDrainsFinishesWhatItAcceptedAndSignsTheLastEvent() throws Exception {
        int port = FreePort.pick();
        String base = "http://127.0.0.1:" + port;
        Map<String, String> settings = new LinkedHashMap<>(config);
        settings.put("quarkus.http.port", String.valueOf(port));
        settings.put("lanyard.shutdown.drain-delay", DRAIN_DELAY.toSeconds() + "s");
        lanyard = packaged.start(settings, "shutdown");
        packaged.awaitReady(lanyard, base);

        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        ExecutorService load = Executors.newVirtualThreadPerTaskExecutor();
        for (int worker = 0; worker < 16; worker++) {
            int w = worker;
            load.submit(() -> work(client, base, w, answers));
        }
        AtomicReference<Instant> notReady = new AtomicReference<>();
        Instant deadline = Instant.now().plusSeconds(60);
        while (answers.stream().filter(a -> a.status() == 200).count() < 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
        }

        Instant sigterm = Instant.now();
        lanyard.destroy(); // SIGTERM, as the kubelet sends it
        load.submit(() -> watchReadiness(client, base, notReady));
        assertThat(lanyard.waitFor(GRACE_PERIOD.toSeconds(), TimeUnit.SECONDS))
                .as("Lanyard exited within the grace period; see " + packaged.log("shutdown")).isTrue();
        Duration shutdown = Duration.between(sigterm, Instant.now());
        load.shutdown();
        assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        System.out.printf("graceful shutdown under load: %d ms from SIGTERM to exit (drain delay %s), %d requests answered%n",
                shutdown.toMillis(), DRAIN_DELAY, answers.size());

        assertThat(notReady.get()).as("readiness went DOWN during the drain delay").isNotNull()
                .isBefore(sigterm.plus(DRAIN_DELAY));
        assertThat(answers).as("requests were still served during the drain delay")
                .anyMatch(a -> a.status() == 200 && a.at().isAfter(sigterm.plusSeconds(1)));
        assertThat(answers).as("after the drain delay new requests are refused with 503 SHUTTING_DOWN")
                .anyMatch(a -> a.status() == 503 && "SHUTTING_DOWN".equals(a.code()) && !a.at().isBefore(sigterm.plus(DRAIN_DELAY)));
        assertThat(answers).as("nothing but 200 and 503 SHUTTING_DOWN, and connection failures once it stopped listening")
                .allMatch(a -> a.status() == 200 || a.status() == 503 && "SHUTTING_DOWN".equals(a.code()) || a.failure() != null);

        Map<String, Integer> audited = auditedStatuses();
        List<String> unaudited = answers.stream().filter(a -> a.status() == 200)
                .map(Answer::requestId).filter(id -> !Integer.valueOf(200).equals(audited.get(id))).toList();
        assertThat(unaudited).as("200 answers without their audit row").isEmpty();
        // A request the server took in (it reached the broker and was recorded) must have been answered: a client that
        // saw its connection fail for one of those was cut off mid-request.
        List<Answer> cutOff = answers.stream().filter(a -> a.failure() != null && audited.containsKey(a.requestId())).toList();
        assertThat(cutOff).as("accepted requests whose client saw the connection fail").isEmpty();

        long head = newestSeq();
        List<String> published = Files.readAllLines(work.resolve("checkpoints.jsonl"));
        assertThat(published).isNotEmpty();
        assertThat(Checkpoint.fromJsonLine(published.getLast()).seq()).as("the final published checkpoint covers the last event")
                .isEqualTo(head);
    }

    @Test
    void productionLogLinesAreJsonWithTheRequestIdAndNoSecret() throws Exception {
        int port = FreePort.pick();
        String base = "http://127.0.0.1:" + port;
        Map<String, String> settings = new LinkedHashMap<>(config);
        settings.put("quarkus.http.port", String.valueOf(port));
        settings.put("lanyard.shutdown.drain-delay", "0s");
        // Every level a request may log at, so that the canary scan sees all of them.
        settings.put("quarkus.log.category.\"dev.lanyard\".level", "DEBUG");
        lanyard = packaged.start(settings, "logs");
        packaged.awaitReady(lanyard, base);

        HttpClient client = HttpClient.newHttpClient();
        String readId = "logs-read-" + UUID.randomUUID();
        HttpResponse<String> read = client.send(request(base + "/v1/secrets/openbao/" + KV_PATH, readId).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.body()).contains(canary);
        String issueId = "logs-issue-" + UUID.randomUUID();
        HttpResponse<String> issued = client.send(request(base + "/v1/creds/openbao/database/creds/app", issueId)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(200);
        JsonNode credential = json.readTree(issued.body());
        String password = credential.path("data").path("password").asText();
        String leaseId = credential.path("lease_id").asText();
        assertThat(password).isNotBlank();
        assertThat(leaseId).isNotBlank();
        String renewId = "logs-renew-" + UUID.randomUUID();
        client.send(request(base + "/v1/leases/renew", renewId).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"lease_id\":\"" + leaseId + "\"}")).build(),
                HttpResponse.BodyHandlers.discarding());
        String refusedId = "logs-refused-" + UUID.randomUUID();
        String wrongToken = ApiTokens.generate(new SecureRandom());
        client.send(HttpRequest.newBuilder(URI.create(base + "/v1/secrets/openbao/" + KV_PATH))
                .header("Authorization", "Bearer " + wrongToken).header("X-Request-Id", refusedId).GET().build(),
                HttpResponse.BodyHandlers.discarding());
        lanyard.destroy();
        assertThat(lanyard.waitFor(60, TimeUnit.SECONDS)).isTrue();

        List<String> lines = Files.readAllLines(packaged.log("logs"));
        List<JsonNode> records = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("WARNING: ")) {
                continue; // the JVM's own warnings (native access), printed before logging starts
            }
            records.add(json.readTree(line)); // throws, failing the test, on a line that is not JSON
        }
        Map<String, List<JsonNode>> byRequest = new HashMap<>();
        for (JsonNode record : records) {
            assertThat(record.has("timestamp") && record.has("level") && record.has("loggerName") && record.has("message"))
                    .as("a log record with the standard fields: %s", record).isTrue();
            String id = record.path("mdc").path("requestId").asText(null);
            if (id != null) {
                byRequest.computeIfAbsent(id, k -> new ArrayList<>()).add(record);
            }
        }
        for (String id : List.of(readId, issueId, renewId, refusedId)) {
            assertThat(byRequest.get(id)).as("log lines carrying request id %s", id).isNotEmpty()
                    .anyMatch(record -> record.path("message").asText().contains("answered"));
        }
        for (String secret : List.of(canary, password, leaseId, token, wrongToken, openBao.rootToken())) {
            assertThat(lines).as("log lines with a secret value, token or lease id").noneMatch(line -> line.contains(secret));
        }
    }

    private void work(HttpClient client, String base, int worker, ConcurrentLinkedQueue<Answer> answers) {
        for (int i = 0; i < 1_000_000; i++) {
            String requestId = "drain-" + worker + "-" + i + "-" + UUID.randomUUID();
            HttpRequest request = (i % 10 == 0
                    ? request(base + "/v1/creds/openbao/database/creds/app", requestId).POST(HttpRequest.BodyPublishers.noBody())
                    : request(base + "/v1/secrets/openbao/" + KV_PATH, requestId).GET()).build();
            try {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                String code = response.statusCode() == 200 ? null : problemCode(response.body());
                answers.add(new Answer(requestId, response.statusCode(), code, null, Instant.now()));
            } catch (ConnectException stopped) {
                return; // nothing listens any more: the replica is gone
            } catch (IOException e) {
                answers.add(new Answer(requestId, 0, null, e.toString(), Instant.now()));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void watchReadiness(HttpClient client, String base, AtomicReference<Instant> notReady) {
        while (notReady.get() == null) {
            try {
                int status = client.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 503) {
                    notReady.set(Instant.now());
                }
            } catch (IOException e) {
                return; // stopped before the watcher saw it go down: the assertion reports it
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String problemCode(String body) {
        try {
            return json.readTree(body).path("code").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private HttpRequest.Builder request(String uri, String requestId) {
        return HttpRequest.newBuilder(URI.create(uri)).header("Authorization", "Bearer " + token)
                .header("X-Request-Id", requestId).timeout(Duration.ofSeconds(30));
    }

    private Map<String, Integer> auditedStatuses() throws Exception {
        Map<String, Integer> audited = new HashMap<>();
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet rows = c.createStatement().executeQuery(
                     "select request_id, status from audit_event where request_id like 'drain-%'")) {
            while (rows.next()) {
                audited.put(rows.getString(1), rows.getInt(2));
            }
        }
        return audited;
    }

    private long newestSeq() throws Exception {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             ResultSet rows = c.createStatement().executeQuery("select max(seq) from audit_event")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private Path secret(String name, String value) throws IOException {
        return Files.writeString(work.resolve(name), value);
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }
}
