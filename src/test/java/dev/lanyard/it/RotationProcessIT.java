package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import io.restassured.path.json.JsonPath;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two packaged Lanyard processes on one PostgreSQL, both running the rotation loop: every step of every run executes
 * exactly once, a replica killed (SIGKILL) in the middle of a step has its run finished by the other once the claim
 * expires, and a rotation finished on one replica drops the other's cached copy through LISTEN/NOTIFY.
 */
class RotationProcessIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private final Map<String, Process> replicas = new LinkedHashMap<>();
    private final Map<String, String> bases = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private String token;

    @BeforeEach
    void startPeersAndTwoReplicas() throws Exception {
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        try (Connection c = database.superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("create database apps");
        }
        token = ApiTokens.generate(new SecureRandom());
        PackagedLanyard packaged = new PackagedLanyard(work);
        packaged.migrate(database);
        Map<String, String> config = new LinkedHashMap<>(database.lanyardConfig());
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", randomKey()));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", randomKey()));
        config.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.auth.bootstrap-tokens.ops", "file:" + secret("token", token));
        config.put("lanyard.policy.ops.subjects", "token:ops");
        config.put("lanyard.policy.ops.rules[0].paths", "openbao/secret/**");
        config.put("lanyard.policy.ops.rules[0].capabilities", "read,write,rotate");
        config.put("lanyard.rotation.poll-interval", "200ms");
        config.put("lanyard.rotation.claim-lease", "8s");
        config.put("lanyard.rotation.step-timeout", "5s");
        config.put("lanyard.rotation.backoff-base", "500ms");
        config.put("lanyard.rotation.run-budget", "1m");
        // The tests' PostgreSQL has no TLS: declared as a loopback target, the only place ssl-mode=disable is accepted.
        config.put("lanyard.rotation.targets.apps.host", "127.0.0.1");
        config.put("lanyard.rotation.targets.apps.port", String.valueOf(database.port()));
        config.put("lanyard.rotation.targets.apps.database", "apps");
        config.put("lanyard.rotation.targets.apps.ssl-mode", "disable");
        for (String name : List.of("a", "b")) {
            int port = FreePort.pick();
            Map<String, String> own = new LinkedHashMap<>(config);
            own.put("quarkus.http.port", String.valueOf(port));
            own.put("lanyard.rotation.replica", "replica-" + name);
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
    void twoReplicasExecuteEachStepOfEachRunExactlyOnceAndTheOtherReplicaDropsItsCachedCopy() throws Exception {
        List<String> schedules = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String path = "secret/rotated/shared-" + i;
            openBao.cli("kv", "put", path, "password=initial-" + i);
            paths.add(path);
            schedules.add(schedule("a", path, "random", Map.of()));
        }
        // Both replicas cache the current value before the rotations.
        for (String path : paths) {
            for (String replica : bases.keySet()) {
                assertThat(read(replica, path).getString("data.password")).startsWith("initial-");
            }
        }
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < schedules.size(); i++) {
            runs.add(trigger(i % 2 == 0 ? "a" : "b", schedules.get(i)));
        }
        for (int i = 0; i < runs.size(); i++) {
            awaitState(schedules.get(i), runs.get(i), "succeeded", Duration.ofSeconds(60));
        }

        List<String> executors = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            JsonPath run = run("a", schedules.get(i), runs.get(i));
            assertThat(run.getList("steps.step")).as("each step once").containsExactly("create", "set", "test", "finish");
            assertThat(run.getList("steps.outcome")).containsOnly("success");
            assertThat(run.getList("steps.replica").stream().distinct().toList()).as("one replica ran the run").hasSize(1);
            executors.add(run.getString("steps[0].replica"));
            // At the target: one version made per run, so no step ran twice.
            assertThat(openBao.cli("kv", "metadata", "get", "-format=json", paths.get(i))).contains("\"current_version\": 2");
            for (String replica : bases.keySet()) {
                assertThat(awaitVersion(replica, paths.get(i), run.getString("pending_version")))
                        .as("replica " + replica + " serves the new version").isTrue();
            }
        }
        System.out.println("PROCESS runs executed by " + executors);
        for (String replica : bases.keySet()) {
            String metrics = get(replica, "/q/metrics");
            System.out.printf("PROCESS relay delay on %s: %s%n", replica, metrics.lines()
                    .filter(line -> line.startsWith("lanyard_relay_delay_seconds")).toList());
        }
    }

    @Test
    void aReplicaKilledInTheMiddleOfAStepHasItsRunFinishedByTheOther() throws Exception {
        try (Connection c = database.superuser("apps"); Statement s = c.createStatement()) {
            s.execute("create role rot_blue login password 'first-password-0'");
            s.execute("create role rot_green login password 'first-password-0'");
        }
        String path = "secret/rotated/killed";
        openBao.cli("kv", "put", path, "username=rot_blue", "password=first-password-0");
        openBao.cli("kv", "put", "secret/rotated/admin", "username=postgres", "password=" + database.superuserPassword());
        String id = schedule("a", path, "postgres-alternating-users", Map.of(
                "target", "apps",
                "users", List.of("rot_blue", "rot_green"), "admin_secret", "openbao/secret/rotated/admin"));

        String holder;
        try (Connection blocker = database.superuser("apps"); Statement s = blocker.createStatement()) {
            // An uncommitted change to the role makes the set step's ALTER ROLE wait: the step hangs mid-way.
            blocker.setAutoCommit(false);
            s.execute("alter role rot_green connection limit 10");
            String runId = trigger("a", id);
            holder = awaitClaimInStep(runId, "set", Duration.ofSeconds(30));
            replicas.get(holder.substring("replica-".length())).destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            blocker.rollback();

            String survivor = holder.equals("replica-a") ? "b" : "a";
            JsonPath run = awaitState(id, runId, "succeeded", Duration.ofSeconds(60), survivor);
            List<String> setBy = new ArrayList<>();
            for (int i = 0; i < run.getList("steps").size(); i++) {
                if (run.getString("steps[" + i + "].step").equals("set")) {
                    setBy.add(run.getString("steps[" + i + "].replica") + ":" + run.getString("steps[" + i + "].outcome"));
                }
            }
            assertThat(setBy).as("cut off on the killed replica, finished on the other")
                    .containsExactly(holder + ":null", "replica-" + survivor + ":success");
            assertThat(read(survivor, path).getString("data.username")).isEqualTo("rot_green");
        }
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private String awaitClaimInStep(String runId, String step, Duration within) throws Exception {
        Instant deadline = Instant.now().plus(within);
        while (Instant.now().isBefore(deadline)) {
            try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement();
                 var rows = s.executeQuery("select replica from rotation_step where run_id = '" + runId + "' and step = '"
                         + step + "' and ended_at is null")) {
                if (rows.next()) {
                    return rows.getString(1);
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no replica began step " + step + " within " + within);
    }

    /** Whether the replica serves {@code version} within 5 s (the relay is asynchronous, by milliseconds). */
    private boolean awaitVersion(String replica, String path, String version) throws Exception {
        Instant deadline = Instant.now().plusSeconds(5);
        while (!read(replica, path).getString("version").equals(version)) {
            if (Instant.now().isAfter(deadline)) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private JsonPath awaitState(String id, String runId, String state, Duration within) throws Exception {
        return awaitState(id, runId, state, within, "a");
    }

    private JsonPath awaitState(String id, String runId, String state, Duration within, String via) throws Exception {
        Instant deadline = Instant.now().plus(within);
        JsonPath run = run(via, id, runId);
        while (!run.getString("state").equals(state) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            run = run(via, id, runId);
        }
        assertThat(run.getString("state")).as(run.prettify()).isEqualTo(state);
        return run;
    }

    private String schedule(String replica, String path, String strategy, Map<String, Object> parameters) throws Exception {
        String body = JSON.writeValueAsString(Map.of("secret", "openbao/" + path, "strategy", strategy, "parameters", parameters,
                "schedule", "rate(30 days)", "window_seconds", 3600));
        HttpResponse<String> created = send(replica, HttpRequest.newBuilder(URI.create(bases.get(replica) + "/v1/rotations"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JsonPath.from(created.body()).getString("id");
    }

    private String trigger(String replica, String id) throws Exception {
        HttpResponse<String> started = send(replica, HttpRequest.newBuilder(URI.create(bases.get(replica) + "/v1/rotations/" + id + "/runs"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        return JsonPath.from(started.body()).getString("id");
    }

    private JsonPath run(String replica, String id, String runId) throws Exception {
        return JsonPath.from(get(replica, "/v1/rotations/" + id + "/runs/" + runId));
    }

    private JsonPath read(String replica, String path) throws Exception {
        return JsonPath.from(get(replica, "/v1/secrets/openbao/" + path));
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
