package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.rotation.CrashingFaults;
import dev.lanyard.rotation.RotationWorker;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.VersionInfo;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Rotations end to end against the real peers: OpenBao's KV v2, Secrets Manager and the local store hold the secrets,
 * and the logins that rotate live on a PostgreSQL of their own that accepts only verified TLS ({@link TargetDatabase},
 * declared as target {@code apps}). The engine's own loop is off; each test drives it with {@link RotationWorker#poll()}
 * and ages the rows it waits on (claims, backoffs) instead of waiting.
 */
@QuarkusTest
@RealPeers
@QuarkusTestResource(value = MotoResource.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = RotationTargetsResource.class, restrictToAnnotatedClass = true)
@TestProfile(RotationIT.Profile.class)
class RotationIT {

    /** A local store, a caller that may rotate, and an engine that only runs when a test polls it. */
    public static final class Profile implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path work = Files.createTempDirectory("lanyard-it-rotation-");
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                Path keyFile = Files.writeString(work.resolve("store.key"), Base64.getEncoder().encodeToString(key));
                Map<String, String> config = new HashMap<>();
                for (String name : List.of("rotator", "partial", "rotateonly")) {
                    Path tokenFile = Files.writeString(work.resolve(name + ".token"), token(name));
                    config.put("lanyard.auth.bootstrap-tokens." + name, "file:" + tokenFile);
                }
                config.put("lanyard.local.store.store-dir", work.resolve("store").toString());
                config.put("lanyard.local.store.key", "file:" + keyFile);
                config.put("lanyard.rotation.poll-interval", "off");
                config.put("lanyard.rotation.backoff-base", "2s");
                config.put("lanyard.rotation.backoff-max", "20s");
                config.put("lanyard.rotation.max-attempts", "4");
                config.put("lanyard.rotation.replica", "it-replica");
                // Short enough that a step waiting on a locked role gives up (at half of it) within a test.
                config.put("lanyard.rotation.step-timeout", "10s");
                config.put("lanyard.policy.rotator.subjects", "token:rotator");
                config.put("lanyard.policy.rotator.rules[0].paths",
                        "openbao/secret/rotated/**,store/rotated/**,aws/rotated/**,openbao/database/creds/app,nowhere/**");
                config.put("lanyard.policy.rotator.rules[0].capabilities", "read,write,rotate");
                // May read and rotate the logins under partial/db, but only rotate the admin logins under partial/admin.
                config.put("lanyard.policy.partial.subjects", "token:partial");
                config.put("lanyard.policy.partial.rules[0].paths", "openbao/secret/partial/db/**");
                config.put("lanyard.policy.partial.rules[0].capabilities", "read,rotate");
                config.put("lanyard.policy.partial.rules[1].paths", "openbao/secret/partial/admin/**");
                config.put("lanyard.policy.partial.rules[1].capabilities", "rotate");
                // May rotate everything under partial, read nothing.
                config.put("lanyard.policy.rotateonly.subjects", "token:rotateonly");
                config.put("lanyard.policy.rotateonly.rules[0].paths", "openbao/secret/partial/**");
                config.put("lanyard.policy.rotateonly.rules[0].capabilities", "rotate");
                return config;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final String ROTATOR_TOKEN = token("rotator");

    /**
     * A caller's token. The profile and the test class may be loaded by different class loaders: tokens are shared
     * through the JVM's system properties, which both see.
     */
    private static String token(String name) {
        return System.getProperties().computeIfAbsent("lanyard.it.rotation-token." + name,
                ignored -> ApiTokens.generate(new SecureRandom())).toString();
    }

    @InjectPeer
    EmbeddedDatabase database;

    @InjectPeer
    VaultPeer openBao;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    MotoResource.AwsPeer aws;

    @InjectPeer
    TargetDatabase target;

    @InjectPeer
    FakePostgres fake;

    @Inject
    RotationWorker worker;

    @Inject
    BackendRegistry backends;

    @AfterEach
    void disarm() {
        CrashingFaults.disarm();
    }

    // --- full rotations per strategy ---------------------------------------------------------------------------

    @Test
    void aRandomPasswordInOpenBaoRotatesThroughFourAuditedStepsAndTheNextReadServesIt() {
        String path = "secret/rotated/api-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "password=initial-value-never-rotated", "owner=payments");
        String id = schedule("openbao/" + path, "random", Map.of("length", 40, "exclude", "'\"\\"));
        assertThat(read("openbao", path).getString("data.password")).isEqualTo("initial-value-never-rotated");

        JsonPath run = rotate(id, "random (OpenBao KV v2)");

        assertThat(run.getString("state")).isEqualTo("succeeded");
        assertThat(run.getList("steps.step")).containsExactly("create", "set", "test", "finish");
        assertThat(run.getList("steps.outcome")).containsOnly("success");
        JsonPath served = read("openbao", path);
        assertThat(served.getString("data.password")).hasSize(40).isNotEqualTo("initial-value-never-rotated")
                .doesNotContain("'", "\"", "\\");
        assertThat(served.getString("data.owner")).as("other fields are kept").isEqualTo("payments");
        assertThat(served.getString("version")).isEqualTo(run.getString("pending_version"));
        assertThat(openBao.cli("kv", "get", "-field=password", path).strip()).isEqualTo(served.getString("data.password"));
        assertThat(stages(backend("openbao"), path)).containsEntry(run.getString("from_version"), List.of("previous"))
                .containsEntry(run.getString("pending_version"), List.of("current"));

        String runId = run.getString("id");
        List<Map<String, Object>> rows = audit.rowsFor(runId);
        // Each step's start is recorded before it touches anything, its end after.
        assertThat(rows).extracting(row -> row.get("operation") + " " + row.get("detail")).containsExactly(
                "rotation.create run/" + runId + "/step/create/started", "rotation.create run/" + runId + "/step/create",
                "rotation.set run/" + runId + "/step/set/started", "rotation.set run/" + runId + "/step/set",
                "rotation.test run/" + runId + "/step/test/started", "rotation.test run/" + runId + "/step/test",
                "rotation.finish run/" + runId + "/step/finish/started", "rotation.finish run/" + runId + "/step/finish",
                "rotation.run run/" + runId);
        assertThat(rows).extracting(row -> row.get("outcome")).containsOnly("success");
        assertThat(rows).extracting(row -> row.get("actor_kind")).containsOnly("system");
        String rotated = served.getString("data.password");
        for (Map<String, Object> row : audit.allRows()) {
            assertThat(row.values().toString()).doesNotContain(rotated).doesNotContain("initial-value-never-rotated");
        }
    }

    @Test
    void keyPairsOfEachAlgorithmRotateInTheLocalStoreWithThePublicHalfBeside() {
        String path = "rotated/signing-" + UUID.randomUUID();
        seedLocal(path, Map.of("note", "before the first rotation"));
        String id = schedule("store/" + path, "key-pair", Map.of("algorithm", "ed25519"));
        for (String algorithm : List.of("ed25519", "rsa-3072", "ec-p256")) {
            update(id, "key-pair", Map.of("algorithm", algorithm));
            JsonPath run = rotate(id, "key-pair " + algorithm + " (local store)");
            assertThat(run.getString("state")).isEqualTo("succeeded");
            JsonPath served = read("store", path);
            assertThat(served.getString("data.algorithm")).isEqualTo(algorithm);
            assertThat(served.getString("data.private_key")).startsWith("-----BEGIN PRIVATE KEY-----");
            assertThat(served.getString("data.public_key")).startsWith("-----BEGIN PUBLIC KEY-----");
        }
        assertThat(backend("store").versions(SecretPath.of(path)).await().indefinitely()).hasSize(4);
    }

    @Test
    void aSingleUserLoginRotatesInPlaceTheNewPasswordLogsInAndTheOldNoLonger() throws SQLException {
        String role = role("single");
        String path = "secret/rotated/db-single-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + role, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-single-user", Map.of("target", "apps"));

        JsonPath run = rotate(id, "postgres-single-user (OpenBao KV v2)");

        assertThat(run.getString("state")).isEqualTo("succeeded");
        JsonPath served = read("openbao", path);
        assertThat(served.getString("data.username")).isEqualTo(role);
        assertThat(logsIn(role, served.getString("data.password"))).isTrue();
        assertThat(logsIn(role, "first-password-0")).isFalse();
    }

    @Test
    void alternatingUsersHandOverAndThePreviousLoginKeepsWorkingUntilTheNextRotation() throws SQLException {
        String blue = role("blue");
        String green = role("green");
        String path = "secret/rotated/db-alternating-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-alternating-users", alternating(blue, green));

        JsonPath first = rotate(id, "postgres-alternating-users (OpenBao KV v2)");
        assertThat(first.getString("state")).isEqualTo("succeeded");
        JsonPath afterFirst = read("openbao", path);
        assertThat(afterFirst.getString("data.username")).isEqualTo(green);
        assertThat(logsIn(green, afterFirst.getString("data.password"))).isTrue();
        assertThat(logsIn(blue, "first-password-0")).as("the previous login still works").isTrue();
        String admin = alternatingAdmin(id);
        assertThat(audit.rowsFor(first.getString("id"))).as("the run's read of the admin login is on record")
                .anySatisfy(row -> assertThat(row).containsEntry("operation", "read").containsEntry("actor_kind", "system")
                        .containsEntry("path", admin));

        JsonPath second = rotate(id, "postgres-alternating-users, second");
        assertThat(second.getString("state")).isEqualTo("succeeded");
        JsonPath afterSecond = read("openbao", path);
        assertThat(afterSecond.getString("data.username")).isEqualTo(blue);
        assertThat(logsIn(blue, afterSecond.getString("data.password"))).isTrue();
        assertThat(logsIn(blue, "first-password-0")).isFalse();
        assertThat(logsIn(green, afterFirst.getString("data.password"))).as("now the previous login").isTrue();
    }

    @Test
    void secretsManagerSecretsRotateThroughItsStagingLabelsInBothPostgresStrategies() throws SQLException {
        String api = "rotated/api-" + UUID.randomUUID();
        aws.operator().createSecret(r -> r.name(api).secretString("{\"password\": \"initial-aws-value\"}"));
        JsonPath random = rotate(schedule("aws/" + api, "random", Map.of()), "random (Secrets Manager)");
        assertThat(random.getString("state")).isEqualTo("succeeded");
        assertThat(read("aws", api).getString("data.password")).hasSize(32).isNotEqualTo("initial-aws-value");
        Map<String, List<String>> labels = new LinkedHashMap<>();
        aws.operator().listSecretVersionIds(r -> r.secretId(api)).versions()
                .forEach(v -> labels.put(v.versionId(), v.versionStages().stream().sorted().toList()));
        assertThat(labels).containsEntry(random.getString("pending_version"), List.of("AWSCURRENT"))
                .containsEntry(random.getString("from_version"), List.of("AWSPREVIOUS"));

        String single = role("awssingle");
        String singlePath = "rotated/db-single-" + UUID.randomUUID();
        aws.operator().createSecret(r -> r.name(singlePath)
                .secretString("{\"username\": \"" + single + "\", \"password\": \"first-password-0\"}"));
        JsonPath singleRun = rotate(schedule("aws/" + singlePath, "postgres-single-user", Map.of("target", "apps")),
                "postgres-single-user (Secrets Manager)");
        assertThat(singleRun.getString("state")).isEqualTo("succeeded");
        assertThat(logsIn(single, read("aws", singlePath).getString("data.password"))).isTrue();
        assertThat(logsIn(single, "first-password-0")).isFalse();

        String blue = role("awsblue");
        String green = role("awsgreen");
        String path = "rotated/db-alternating-" + UUID.randomUUID();
        aws.operator().createSecret(r -> r.name(path)
                .secretString("{\"username\": \"" + blue + "\", \"password\": \"first-password-0\"}"));
        JsonPath alternatingRun = rotate(schedule("aws/" + path, "postgres-alternating-users", alternating(blue, green)),
                "postgres-alternating-users (Secrets Manager)");
        assertThat(alternatingRun.getString("state")).isEqualTo("succeeded");
        JsonPath served = read("aws", path);
        assertThat(served.getString("data.username")).isEqualTo(green);
        assertThat(logsIn(green, served.getString("data.password"))).isTrue();
        assertThat(logsIn(blue, "first-password-0")).as("the previous login still works").isTrue();
    }

    // --- crashes, slow targets, failures -----------------------------------------------------------------------

    @Test
    void aRunCutOffAtAnyPointResumesAndEndsWithOneCurrentVersionThatWasTested() {
        List<String> points = List.of("create.started", "create.put", "create.pending-recorded", "create.done",
                "create.recorded", "set.started", "set.applied", "set.done", "set.recorded", "test.started", "test.done",
                "test.recorded", "finish.started", "finish.moved", "finish.done");
        SecretBackend store = backend("store");
        for (String point : points) {
            String path = "rotated/crash-" + UUID.randomUUID();
            seedLocal(path, Map.of("password", "initial-before-" + point));
            String id = schedule("store/" + path, "random", Map.of("length", 24));
            CrashingFaults.crashAt(point);
            String runId = trigger(id);
            Throwable crash = catchThrowable(worker::poll);
            assertThat(crash).as(point + " " + runRow(runId)).isInstanceOf(CrashingFaults.SimulatedCrash.class);

            Map<String, Object> cut = runRow(runId);
            List<VersionInfo> versions = store.versions(SecretPath.of(path)).await().indefinitely();
            assertThat(versions.stream().filter(v -> v.holds(Stage.CURRENT))).as(point).hasSize(1);
            assertThat(versions.stream().filter(v -> v.holds(Stage.PENDING)).count()).as(point).isLessThanOrEqualTo(1);
            String currentNow = versions.stream().filter(v -> v.holds(Stage.CURRENT)).findFirst().orElseThrow().id();
            if (!currentNow.equals("1")) {
                assertThat(cut.get("tested_at")).as(point + ": promoted only after its test").isNotNull();
            }

            // The replica is gone; once its claim expires, the next poll takes the run over.
            age("rotation_run", "claim_expires_at", runId);
            worker.poll();

            JsonPath run = run(id, runId);
            assertThat(run.getString("state")).as(point).isEqualTo("succeeded");
            versions = store.versions(SecretPath.of(path)).await().indefinitely();
            assertThat(versions).as(point).hasSize(2);
            assertThat(versions.stream().filter(v -> v.holds(Stage.CURRENT)).map(VersionInfo::id).toList())
                    .as(point).containsExactly(run.getString("pending_version"));
            assertThat(versions.stream().filter(v -> v.holds(Stage.PENDING))).as(point).isEmpty();
            assertThat(read("store", path).getString("data.password")).as(point).hasSize(24);
            assertThat(run.getList("steps.ended_at").stream().filter(Objects::isNull).count())
                    .as(point + ": the step cut off has a start and no end")
                    .isEqualTo(point.endsWith(".recorded") ? 0L : 1L);
        }
    }

    @Test
    void aTargetThatAcceptsTheNewLoginOnlyLaterIsRetriedAndNothingIsPromotedBefore() throws SQLException {
        String blue = role("slowblue");
        String green = role("slowgreen");
        superuser("alter role " + green + " nologin");
        String path = "secret/rotated/db-slow-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-alternating-users", alternating(blue, green));
        String runId = trigger(id);

        worker.poll();
        for (int attempt = 1; attempt <= 2; attempt++) {
            JsonPath waiting = run(id, runId);
            assertThat(waiting.getString("state")).isEqualTo("running");
            assertThat(waiting.getString("step")).isEqualTo("test");
            assertThat(waiting.getInt("attempt")).isEqualTo(attempt);
            assertThat(waiting.getString("error_code")).isEqualTo("TEST_FAILED");
            assertThat(read("openbao", path).getString("data.username")).as("not promoted before its test passed").isEqualTo(blue);
            age("rotation_run", "not_before", runId);
            worker.poll();
        }
        superuser("alter role " + green + " login");
        age("rotation_run", "not_before", runId);
        worker.poll();

        JsonPath run = run(id, runId);
        assertThat(run.getString("state")).isEqualTo("succeeded");
        assertThat(run.getList("steps.outcome")).containsExactly("success", "success", "retry", "retry", "retry", "success", "success");
        assertThat(read("openbao", path).getString("data.username")).isEqualTo(green);
    }

    @Test
    void aRunThatNeverPassesItsTestIsRolledBackAndTheCurrentLoginKeepsWorking() throws SQLException {
        String blue = role("failblue");
        String green = role("failgreen");
        superuser("alter role " + green + " nologin");
        String path = "secret/rotated/db-fail-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-alternating-users", alternating(blue, green));
        String runId = trigger(id);
        for (int attempt = 0; attempt < 4; attempt++) {
            worker.poll();
            age("rotation_run", "not_before", runId);
        }

        JsonPath run = run(id, runId);
        assertThat(run.getString("state")).isEqualTo("failed");
        assertThat(run.getString("error_code")).isEqualTo("TEST_FAILED");
        assertThat(run.getList("steps.step")).endsWith("rollback");
        assertThat(read("openbao", path).getString("data.username")).isEqualTo(blue);
        assertThat(logsIn(blue, "first-password-0")).isTrue();
        assertThat(stages(backend("openbao"), path).values()).noneMatch(stages -> stages.contains("pending"));
        assertThat(schedule(id).getString("last_outcome")).isEqualTo("failed");
        assertThat(audit.rowsFor(runId)).extracting(row -> row.get("operation") + " " + row.get("outcome"))
                .contains("rotation.test failed", "rotation.rollback success", "rotation.run failed");
        // Green's password was set to the pending value, and no version held one from before: recorded as held by nobody.
        assertThat(audit.rowsFor(runId)).anySatisfy(row -> assertThat(row).containsEntry("operation", "rotation.rollback")
                .containsEntry("error_code", "ALTERNATE_UNRESTORED")
                .containsEntry("detail", "run/" + runId + "/step/rollback/role/" + green));
        // What the alerts LanyardRotationFailed and LanyardRotationOverdue read (deploy/observability/alerts.yaml).
        assertThat(metric("lanyard_rotation_runs_total{outcome=\"failed\"")).isGreaterThanOrEqualTo(1.0);
        assertThat(metric("lanyard_rotation_interval_seconds{secret=\"openbao/" + path + "\""))
                .as("the schedule's interval, beside its last success's age").isPositive();
    }

    @Test
    void aRunStuckInOneStepIsMarkedAndAnOperatorResumesItOnceTheTargetIsBack() throws SQLException {
        String blue = role("stuckblue");
        String green = role("stuckgreen");
        superuser("alter role " + green + " nologin");
        String path = "secret/rotated/db-stuck-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-alternating-users", alternating(blue, green));
        String runId = trigger(id);
        worker.poll();
        age("rotation_run", "step_since", runId);
        worker.poll();

        assertThat(run(id, runId).getString("state")).isEqualTo("stuck");
        assertThat(metric("lanyard_rotation_runs_stuck")).isGreaterThanOrEqualTo(1.0);
        superuser("alter role " + green + " login");
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).post("/v1/rotations/" + id + "/runs/" + runId + "/resume")
                .then().statusCode(200);
        worker.poll();
        assertThat(run(id, runId).getString("state")).isEqualTo("succeeded");
        assertThat(read("openbao", path).getString("data.username")).isEqualTo(green);
    }

    // --- under load --------------------------------------------------------------------------------------------

    @Test
    void underLoadAlternatingUsersNeverFailALoginAndSingleUserDoes() throws Exception {
        int alternatingFailures = loginFailuresDuringRotations("postgres-alternating-users");
        int singleFailures = loginFailuresDuringRotations("postgres-single-user");
        System.out.printf("LOAD alternating-users failures=%d single-user failures=%d%n", alternatingFailures, singleFailures);
        assertThat(alternatingFailures).isZero();
    }

    private int loginFailuresDuringRotations(String strategy) throws Exception {
        String blue = role("loadblue");
        String green = role("loadgreen");
        String path = "secret/rotated/db-load-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, strategy, strategy.equals("postgres-single-user")
                ? Map.of("target", "apps") : alternating(blue, green));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        Thread client = Thread.ofPlatform().start(() -> {
            while (running.get()) {
                JsonPath credential = read("openbao", path);
                attempts.incrementAndGet();
                try {
                    if (!logsIn(credential.getString("data.username"), credential.getString("data.password"))) {
                        failures.incrementAndGet();
                    }
                } catch (SQLException e) {
                    failures.incrementAndGet();
                }
            }
        });
        long started = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            String runId = trigger(id);
            worker.poll();
            assertThat(run(id, runId).getString("state")).isEqualTo("succeeded");
        }
        long took = System.nanoTime() - started;
        running.set(false);
        client.join();
        System.out.printf("LOAD %s: 20 rotations in %d ms, %d client logins, %d failed%n", strategy, took / 1_000_000,
                attempts.get(), failures.get());
        assertThat(attempts.get()).as("the client kept logging in throughout").isGreaterThan(20);
        return failures.get();
    }

    // --- bad input on the API ----------------------------------------------------------------------------------

    @Test
    void badSchedulesAreRefusedWithStableCodesAndAudited() {
        String path = "secret/rotated/bad-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "password=x");
        refused(body("openbao/secret/rotated/never-written-" + UUID.randomUUID(), "random", Map.of(), "rate(30 days)", 3600),
                404, "UNKNOWN_SECRET");
        refused(body("nowhere/secret/x", "random", Map.of(), "rate(30 days)", 3600), 404, "UNKNOWN_SECRET");
        refused(body("openbao/" + path, "random", Map.of(), "61 25 * * *", 3600), 400, "INVALID_SCHEDULE");
        refused(body("openbao/" + path, "random", Map.of(), "rate(30 days)", 60), 400, "WINDOW_TOO_SHORT");
        refused(body("openbao/" + path, "random", Map.of(), "*/15 * * * *", 3600), 400, "INVALID_SCHEDULE");
        refused(body("openbao/database/creds/app", "random", Map.of(), "rate(30 days)", 3600), 422, "STRATEGY_NOT_SUPPORTED");
        refused(body("openbao/" + path, "rot13", Map.of(), "rate(30 days)", 3600), 400, "INVALID_STRATEGY");
        refused(body("openbao/" + path, "postgres-single-user",
                Map.of("jdbc_url", "jdbc:postgresql://127.0.0.1/db?socketFactory=x"), "rate(30 days)", 3600), 400, "INVALID_STRATEGY");
        refused(body("openbao/" + path, "random", Map.of("length", 4), "rate(30 days)", 3600), 400, "INVALID_STRATEGY");

        String requestId = "it-rotation-denied-" + UUID.randomUUID();
        given().header("Authorization", callers.bearer("app")).header("X-Request-Id", requestId).contentType(ContentType.JSON)
                .body(body("openbao/" + path, "random", Map.of(), "rate(30 days)", 3600))
                .post("/v1/rotations").then().statusCode(403).contentType("application/problem+json");
        assertThat(audit.single(requestId)).containsEntry("operation", "rotation.schedule.create").containsEntry("status", 403);

        String id = schedule("openbao/" + path, "random", Map.of());
        refused(body("openbao/" + path, "random", Map.of(), "rate(30 days)", 3600), 409, "SCHEDULE_EXISTS");
        trigger(id);
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).post("/v1/rotations/" + id + "/runs")
                .then().statusCode(409).body("code", equalTo("RUN_IN_PROGRESS"));
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/rotations/not-an-id")
                .then().statusCode(400).contentType("application/problem+json");
        worker.poll();
    }

    @Test
    void schedulesArePausedResumedListedAndDeletedEachChangeAudited() {
        String path = "secret/rotated/managed-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "password=x");
        String id = schedule("openbao/" + path, "random", Map.of());
        assertThat(schedule(id).getString("next_run_at")).isNotNull();

        String pause = "it-rotation-pause-" + UUID.randomUUID();
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).header("X-Request-Id", pause)
                .post("/v1/rotations/" + id + "/pause").then().statusCode(200).body("paused", is(true));
        assertThat(audit.single(pause)).containsEntry("operation", "rotation.schedule.pause").containsEntry("outcome", "success");
        assertThat(schedule(id).getString("next_run_at")).isNull();
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).post("/v1/rotations/" + id + "/resume")
                .then().statusCode(200).body("paused", is(false));
        assertThat(schedule(id).getString("next_run_at")).isNotNull();

        List<String> listed = given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/rotations")
                .then().statusCode(200).extract().jsonPath().getList("schedules.id");
        assertThat(listed).contains(id);
        assertThat(given().header("Authorization", callers.bearer("app")).get("/v1/rotations")
                .then().statusCode(200).extract().jsonPath().getList("schedules.id")).doesNotContain(id);

        String delete = "it-rotation-delete-" + UUID.randomUUID();
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).header("X-Request-Id", delete)
                .delete("/v1/rotations/" + id).then().statusCode(204);
        assertThat(audit.single(delete)).containsEntry("operation", "rotation.schedule.delete").containsEntry("status", 204);
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/rotations/" + id).then().statusCode(403);
    }

    @Test
    void aDueScheduleStartsItsRunInItsWindow() {
        String path = "rotated/due-" + UUID.randomUUID();
        seedLocal(path, Map.of("password", "initial"));
        String id = schedule("store/" + path, "random", Map.of());
        worker.poll();
        assertThat(schedule(id).getString("last_run_id")).as("not due yet").isNull();
        age("rotation_schedule", "next_run_at", id, "31 days");
        worker.poll();
        JsonPath schedule = schedule(id);
        assertThat(schedule.getString("last_outcome")).isEqualTo("succeeded");
        assertThat(run(id, schedule.getString("last_run_id")).getString("triggered_by")).isEqualTo("schedule");
    }

    // --- per-schedule gauges -----------------------------------------------------------------------------------

    @Test
    void theScheduleGaugesFollowEachChangeFromAnyReplicaWithoutAPollReadingEverySchedule() throws Exception {
        String path = "rotated/gauged-" + UUID.randomUUID();
        seedLocal(path, Map.of("password", "initial"));
        String id = schedule("store/" + path, "random", Map.of());
        String interval = "lanyard_rotation_interval_seconds{secret=\"store/" + path + "\"";
        String age = "lanyard_rotation_last_success_age_seconds{secret=\"store/" + path + "\"";
        double month = Duration.ofDays(30).toSeconds();
        double week = Duration.ofDays(7).toSeconds();
        double threeDays = Duration.ofDays(3).toSeconds();
        assertThat(pollUntil(interval, value -> value == month)).as("created").isEqualTo(month);
        assertThat(metric(age)).as("never rotated yet").isNaN();

        // Another replica (here: SQL as the superuser) changes the schedule; the change is announced and followed here.
        lanyardSql("update rotation_schedule set expression = 'rate(7 days)', last_success_at = ? where id = ?",
                OffsetDateTime.ofInstant(MovableClock.now().minus(Duration.ofDays(3)), ZoneOffset.UTC), id);
        assertThat(pollUntil(interval, value -> value == week)).isEqualTo(week);
        assertThat(pollUntil(age, value -> value >= threeDays)).isBetween(threeDays, threeDays + 600);

        // A change nobody announces (triggers off for that session) goes unseen: no poll reads every schedule.
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            assertThat(s.executeUpdate("update rotation_schedule set expression = 'rate(1 day)' where id = '" + id + "'"))
                    .isEqualTo(1);
        }
        for (int i = 0; i < 3; i++) {
            worker.poll();
            Thread.sleep(200);
        }
        assertThat(metric(interval)).isEqualTo(week);

        // A run that succeeds here moves the age; deleting the schedule (its runs and step records go with it, although
        // the service's role may not delete those itself) takes its gauges away.
        String runId = trigger(id);
        worker.poll();
        assertThat(run(id, runId).getString("state")).isEqualTo("succeeded");
        assertThat(pollUntil(age, value -> value < 3600)).isLessThan(3600);
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).delete("/v1/rotations/" + id).then().statusCode(204);
        assertThat(pollUntil(interval, Double::isNaN)).isNaN();
        assertThat(metric(age)).isNaN();
        assertThat(audit.query("select count(*) as n from rotation_step where run_id = ?", runId).getFirst().get("n")).isEqualTo(0L);
        assertThat(audit.query("select count(*) as n from rotation_run where id = ?", runId).getFirst().get("n")).isEqualTo(0L);
    }

    /** Polls until the series' value satisfies {@code done} (NaN: the series is gone), for ten seconds at most. */
    private double pollUntil(String series, DoublePredicate done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        double value;
        do {
            worker.poll();
            value = metric(series);
            if (done.test(value)) {
                return value;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return value;
    }

    // --- cross-replica invalidation ----------------------------------------------------------------------------

    @Test
    void aChangeAnotherReplicaAnnouncesDropsTheCachedCopyHere() throws Exception {
        String path = "secret/rotated/relayed-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "password=cached-one");
        assertThat(read("openbao", path).getString("data.password")).isEqualTo("cached-one");
        openBao.cli("kv", "put", path, "password=written-elsewhere");
        assertThat(read("openbao", path).getString("data.password")).as("served from the cache").isEqualTo("cached-one");

        long sent;
        try (Connection c = database.app(); Statement s = c.createStatement()) {
            sent = System.nanoTime();
            s.execute("select pg_notify('lanyard_changes', '{\"replica\":\"replica-b\",\"backend\":\"openbao\",\"path\":\""
                    + path + "\",\"cause\":\"ROTATED\",\"version\":\"2\",\"at\":\"" + MovableClock.now() + "\"}')");
        }
        String served;
        do {
            served = read("openbao", path).getString("data.password");
        } while (!served.equals("written-elsewhere") && System.nanoTime() - sent < Duration.ofSeconds(10).toNanos());
        System.out.printf("RELAY notify -> cache dropped here: %.1f ms%n", (System.nanoTime() - sent) / 1e6);
        assertThat(served).isEqualTo("written-elsewhere");
    }

    @Test
    void aFinishedRotationIsAnnouncedToTheOtherReplicasWithoutItsValue() throws Exception {
        String path = "rotated/announced-" + UUID.randomUUID();
        seedLocal(path, Map.of("password", "initial"));
        String id = schedule("store/" + path, "random", Map.of());
        try (Connection c = database.app(); Statement s = c.createStatement()) {
            s.execute("listen lanyard_changes");
            String runId = trigger(id);
            worker.poll();
            PGNotification[] received = c.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(received).isNotNull();
            String rotated = read("store", path).getString("data.password");
            assertThat(List.of(received)).anySatisfy(n -> assertThat(n.getParameter())
                    .contains("\"path\":\"" + path + "\"").contains("\"cause\":\"ROTATED\"")
                    .contains("\"version\":\"" + run(id, runId).getString("pending_version") + "\"")
                    .doesNotContain(rotated));
        }
    }

    // --- who may declare what a run reads, and where it logs in ----------------------------------------------

    @Test
    void rotateAloneCannotDeclareARunThatReadsSecretsAndEachRefusalIsAudited() {
        String login = "secret/partial/db/login-" + UUID.randomUUID();
        String admin = "secret/partial/admin/login-" + UUID.randomUUID();
        openBao.cli("kv", "put", login, "username=rot_nobody", "password=first-password-0");
        openBao.cli("kv", "put", admin, "username=postgres", "password=" + target.superuserPassword());
        Map<String, Object> alternating = Map.of("target", "apps", "users", List.of("rot_nobody", "rot_nobody_b"),
                "admin_secret", "openbao/" + admin);

        // rotate without read: no schedule that reads the secret, whatever the strategy
        deniedCreate("rotateonly", body("openbao/" + login, "random", Map.of(), "rate(30 days)", 3600));
        deniedCreate("rotateonly", body("openbao/" + login, "postgres-single-user", Map.of("target", "apps"), "rate(30 days)", 3600));
        // read and rotate on the secret, but only rotate on the admin login the strategy would read
        deniedCreate("partial", body("openbao/" + login, "postgres-alternating-users", alternating, "rate(30 days)", 3600));

        // read and rotate on everything it reads: stored, the row and the record naming the declared target
        String created = "it-rotation-created-" + UUID.randomUUID();
        String id = given().header("Authorization", "Bearer " + token("partial")).header("X-Request-Id", created)
                .contentType(ContentType.JSON)
                .body(body("openbao/" + login, "postgres-single-user", Map.of("target", "apps"), "rate(30 days)", 3600))
                .post("/v1/rotations").then().statusCode(201).extract().path("id");
        assertThat(audit.single(created)).containsEntry("operation", "rotation.schedule.create").containsEntry("status", 201)
                .containsEntry("detail", "schedule/" + id + "/target/apps");
        assertThat(audit.query("select target from rotation_schedule where id = ?", id).getFirst()).containsEntry("target", "apps");

        // nor can rotate alone change a schedule, even one it may trigger
        String update = "it-rotation-update-denied-" + UUID.randomUUID();
        Map<String, Object> changed = body(null, "postgres-alternating-users", alternating, "rate(30 days)", 3600);
        changed.remove("secret");
        given().header("Authorization", "Bearer " + token("rotateonly")).header("X-Request-Id", update)
                .contentType(ContentType.JSON).body(changed).put("/v1/rotations/" + id)
                .then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.single(update)).containsEntry("operation", "rotation.schedule.update").containsEntry("status", 403)
                .containsEntry("error_code", "ACCESS_DENIED");
        assertThat(given().header("Authorization", "Bearer " + token("partial")).get("/v1/rotations/" + id)
                .then().statusCode(200).extract().path("strategy").toString()).isEqualTo("postgres-single-user");
    }

    @Test
    void noPasswordReachesAServerNoOperatorDeclaredNorOneThatDeclinesTls() throws Exception {
        // The fake catches a password sent to it, as a server a caller ran would: shown with a driver that allows it.
        fake.reset();
        Properties plaintext = new Properties();
        plaintext.setProperty("user", "someone");
        plaintext.setProperty("password", "caught-by-the-fake");
        plaintext.setProperty("sslmode", "disable");
        String fakeUrl = "jdbc:postgresql://127.0.0.1:" + fake.port() + "/apps";
        assertThat(catchThrowable(() -> DriverManager.getConnection(fakeUrl, plaintext))).isInstanceOf(SQLException.class);
        assertThat(fake.passwords()).containsExactly("caught-by-the-fake");
        fake.reset();

        String blue = role("fakeblue");
        String green = role("fakegreen");
        String path = "secret/rotated/db-fake-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        Map<String, Object> parameters = new HashMap<>(alternating(blue, green));
        String adminSecret = parameters.get("admin_secret").toString();

        // A schedule cannot name a host, nor a target no operator declared.
        parameters.remove("target");
        parameters.put("jdbc_url", fakeUrl);
        refused(body("openbao/" + path, "postgres-alternating-users", parameters, "rate(30 days)", 3600), 400, "INVALID_STRATEGY");
        parameters.remove("jdbc_url");
        parameters.put("target", "elsewhere");
        refused(body("openbao/" + path, "postgres-alternating-users", parameters, "rate(30 days)", 3600), 400, "INVALID_STRATEGY");

        // A schedule stored before targets existed, naming the fake by URL: its run fails before it touches anything.
        parameters.put("target", "apps");
        String stored = schedule("openbao/" + path, "postgres-alternating-users", parameters);
        lanyardSql("update rotation_schedule set parameters = (parameters - 'target') || jsonb_build_object('jdbc_url', ?::text), "
                + "target = null where id = ?", fakeUrl, stored);
        String storedRun = trigger(stored);
        worker.poll();
        JsonPath failed = run(stored, storedRun);
        assertThat(failed.getString("state")).isEqualTo("failed");
        assertThat(failed.getString("error_code")).isEqualTo("TARGET_NOT_DECLARED");
        assertThat(failed.getString("pending_version")).as("no version made").isNull();
        assertThat(fake.connections()).as("no connection to the URL").isZero();
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).delete("/v1/rotations/" + stored).then().statusCode(204);

        // Declared, with the default verify-full, but it declines TLS: it is sent nothing, not even who logs in.
        parameters.put("target", "fake");
        String declared = schedule("openbao/" + path, "postgres-alternating-users", parameters);
        String runId = trigger(declared);
        worker.poll();
        JsonPath waiting = run(declared, runId);
        assertThat(waiting.getString("step")).isEqualTo("set");
        assertThat(waiting.getString("error_code")).isEqualTo("TARGET_INSECURE");
        assertThat(fake.encryptionRequests()).as("it was asked for TLS").isPositive();
        assertThat(fake.users()).isEmpty();
        assertThat(fake.passwords()).isEmpty();
        // The run read the admin login to get this far, and the audit log says so under the run's id.
        assertThat(audit.rowsFor(runId)).anySatisfy(row -> assertThat(row).containsEntry("operation", "read")
                .containsEntry("actor_kind", "system").containsEntry("backend", "openbao")
                .containsEntry("path", adminSecret.substring("openbao/".length())));

        // Left for an operator, so that later polls leave the fake alone.
        age("rotation_run", "step_since", runId);
        worker.poll();
        assertThat(run(declared, runId).getString("state")).isEqualTo("stuck");
        assertThat(fake.passwords()).isEmpty();
    }

    // --- records before acts -----------------------------------------------------------------------------------

    @Test
    void aStepThatCannotBeRecordedTouchesNothingAndRunsOnceItCan() throws SQLException {
        String role = role("unrecorded");
        String path = "secret/rotated/db-unrecorded-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + role, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-single-user", Map.of("target", "apps"));
        CrashingFaults.crashAt("create.recorded");
        String runId = trigger(id);
        assertThat(catchThrowable(worker::poll)).isInstanceOf(CrashingFaults.SimulatedCrash.class);

        // The set step is taken over while the audit log cannot record anything.
        age("rotation_run", "claim_expires_at", runId);
        audit.execute("revoke insert on audit_event from lanyard_app");
        try {
            worker.poll();
        } finally {
            audit.execute("grant insert on audit_event to lanyard_app");
        }
        assertThat(logsIn(role, "first-password-0")).as("the set that could not be recorded did not happen").isTrue();
        JsonPath held = run(id, runId);
        assertThat(held.getString("state")).isEqualTo("running");
        assertThat(held.getString("step")).isEqualTo("set");
        assertThat(held.getString("error_code")).isEqualTo("AUDIT_UNAVAILABLE");

        age("rotation_run", "not_before", runId);
        worker.poll();
        assertThat(run(id, runId).getString("state")).isEqualTo("succeeded");
        assertThat(logsIn(role, read("openbao", path).getString("data.password"))).isTrue();
        assertThat(logsIn(role, "first-password-0")).isFalse();
        List<String> recorded = audit.rowsFor(runId).stream().map(row -> row.get("operation") + " " + row.get("detail")).toList();
        assertThat(recorded).containsSubsequence("rotation.set run/" + runId + "/step/set/started/target/apps",
                "rotation.set run/" + runId + "/step/set");
    }

    @Test
    void aPasswordChangeTheRunAbandonedNeverLandsAfterItRolledBack() throws Exception {
        String role = role("locked");
        String path = "secret/rotated/db-locked-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + role, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-single-user", Map.of("target", "apps"));
        JsonPath ended;
        try (Connection blocker = target.superuser(); Statement s = blocker.createStatement()) {
            // Another session changes the role and holds its row through the whole run: every ALTER ROLE waits.
            blocker.setAutoCommit(false);
            s.execute("alter role " + role + " connection limit 10");
            String runId = trigger(id);
            for (int poll = 0; poll < 6 && run(id, runId).getString("state").equals("running"); poll++) {
                worker.poll();
                age("rotation_run", "not_before", runId);
            }
            ended = run(id, runId);
            blocker.rollback();
        }
        // Whatever waited on the lock at the server goes on now; once no rotation session is left, it has landed or not.
        awaitNoRotationSessions();
        assertThat(logsIn(role, "first-password-0")).as("the current login works: no abandoned change landed").isTrue();
        String pending = given().header("Authorization", "Bearer " + ROTATOR_TOKEN)
                .get("/v1/secrets/openbao/" + path + "?version=" + ended.getString("pending_version"))
                .then().statusCode(200).extract().path("data.password");
        assertThat(logsIn(role, pending)).isFalse();
        assertThat(ended.getString("state")).isEqualTo("failed");
        assertThat(ended.getString("error_code")).isEqualTo("TARGET_LOCKED");
        assertThat(ended.getList("steps.step")).endsWith("rollback");
        assertThat(read("openbao", path).getString("data.password")).isEqualTo("first-password-0");
    }

    @Test
    void aRolledBackAlternatingRunGivesTheAlternateRoleItsPreviousPasswordBack() throws SQLException {
        String blue = role("backblue");
        String green = role("backgreen");
        String path = "secret/rotated/db-back-" + UUID.randomUUID();
        openBao.cli("kv", "put", path, "username=" + blue, "password=first-password-0");
        String id = schedule("openbao/" + path, "postgres-alternating-users", alternating(blue, green));
        assertThat(rotate(id, "alternating, before the failed one").getString("state")).isEqualTo("succeeded");
        String greenPassword = read("openbao", path).getString("data.password");

        // Blue is the alternate now, its password in the previous version; the next run sets it and never passes its test.
        superuser("alter role " + blue + " nologin");
        String runId = trigger(id);
        for (int poll = 0; poll < 6 && run(id, runId).getString("state").equals("running"); poll++) {
            worker.poll();
            age("rotation_run", "not_before", runId);
        }
        superuser("alter role " + blue + " login");

        assertThat(logsIn(blue, "first-password-0")).as("clients holding the previous version log in again").isTrue();
        assertThat(logsIn(green, greenPassword)).as("the current login never stopped working").isTrue();
        JsonPath run = run(id, runId);
        assertThat(run.getString("state")).isEqualTo("failed");
        assertThat(run.getString("error_code")).isEqualTo("TEST_FAILED");
        assertThat(audit.rowsFor(runId)).noneMatch(row -> "ALTERNATE_UNRESTORED".equals(row.get("error_code")));
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    /**
     * Moves one row's deadline into the past (a day unless said otherwise): its claim expired, its backoff is over, its step began long ago,
     * its window opened. The rows age rather than the application's clock moving forward, because the clock is shared
     * by every test in the JVM and the database refuses audit checkpoints signed more than minutes in its future.
     */
    private void age(String table, String column, String id) {
        age(table, column, id, "1 day");
    }

    private void age(String table, String column, String id, String interval) {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE);
             PreparedStatement s = c.prepareStatement("update " + table + " set " + column + " = " + column
                     + " - ?::interval where id = ?")) {
            s.setString(1, interval);
            s.setString(2, id);
            assertThat(s.executeUpdate()).as(table + " " + id).isEqualTo(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A statement on Lanyard's own database, as its superuser (rewriting a row as an older version stored it). */
    private void lanyardSql(String sql, Object... params) {
        try (Connection c = database.superuser(EmbeddedDatabase.DATABASE); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                s.setObject(i + 1, params[i]);
            }
            assertThat(s.executeUpdate()).isEqualTo(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Until no session Lanyard opened to the target is left (a statement it abandoned may still wait on a lock). */
    private void awaitNoRotationSessions() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Connection c = target.superuser(); Statement s = c.createStatement();
                 var rows = s.executeQuery("select count(*) from pg_stat_activity where application_name = 'lanyard-rotation'")) {
                rows.next();
                if (rows.getLong(1) == 0) {
                    return;
                }
            }
            assertThat(System.nanoTime()).as("rotation sessions at the target ended").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private void deniedCreate(String caller, Map<String, Object> body) {
        String requestId = "it-rotation-denied-" + UUID.randomUUID();
        given().header("Authorization", "Bearer " + token(caller)).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(body).post("/v1/rotations")
                .then().statusCode(403).contentType("application/problem+json").body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.single(requestId)).containsEntry("operation", "rotation.schedule.create").containsEntry("status", 403)
                .containsEntry("error_code", "ACCESS_DENIED").containsEntry("outcome", "denied");
    }

    private JsonPath rotate(String id, String label) {
        long started = System.nanoTime();
        String runId = trigger(id);
        worker.poll();
        System.out.printf("ROTATION %s: %.1f ms end to end%n", label, (System.nanoTime() - started) / 1e6);
        return run(id, runId);
    }

    private static Map<String, Object> body(String secret, String strategy, Map<String, Object> parameters, String schedule,
                                            long windowSeconds) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("secret", secret);
        body.put("strategy", strategy);
        body.put("parameters", parameters);
        body.put("schedule", schedule);
        body.put("window_seconds", windowSeconds);
        return body;
    }

    private String schedule(String secret, String strategy, Map<String, Object> parameters) {
        return given().header("Authorization", "Bearer " + ROTATOR_TOKEN).contentType(ContentType.JSON)
                .body(body(secret, strategy, parameters, "rate(30 days)", 3600))
                .post("/v1/rotations").then().statusCode(201).extract().path("id");
    }

    private void update(String id, String strategy, Map<String, Object> parameters) {
        Map<String, Object> body = body(null, strategy, parameters, "rate(30 days)", 3600);
        body.remove("secret");
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).contentType(ContentType.JSON).body(body)
                .put("/v1/rotations/" + id).then().statusCode(200);
    }

    private JsonPath schedule(String id) {
        return given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/rotations/" + id)
                .then().statusCode(200).extract().jsonPath();
    }

    private void refused(Map<String, Object> body, int status, String code) {
        String requestId = "it-rotation-bad-" + UUID.randomUUID();
        given().header("Authorization", "Bearer " + ROTATOR_TOKEN).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(body).post("/v1/rotations")
                .then().statusCode(status).contentType("application/problem+json")
                .body("code", equalTo(code))
                .body("detail", not(containsString("Exception")));
        assertThat(audit.single(requestId)).containsEntry("status", status).containsEntry("error_code", code);
    }

    private String trigger(String id) {
        return given().header("Authorization", "Bearer " + ROTATOR_TOKEN).post("/v1/rotations/" + id + "/runs")
                .then().statusCode(202).extract().path("id");
    }

    private JsonPath run(String id, String runId) {
        return given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/rotations/" + id + "/runs/" + runId)
                .then().statusCode(200).extract().jsonPath();
    }

    private Map<String, Object> runRow(String runId) {
        return audit.query("select * from rotation_run where id = ?", runId).getFirst();
    }

    private JsonPath read(String backend, String path) {
        return given().header("Authorization", "Bearer " + ROTATOR_TOKEN).get("/v1/secrets/" + backend + "/" + path)
                .then().statusCode(200).extract().jsonPath();
    }

    /** The largest value of the series whose line starts with the name (a name with an opening label selects that label too). */
    private double metric(String name) {
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return text.lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + (name.contains("{") ? "" : "{")))
                .mapToDouble(RotationIT::value).max().orElse(Double.NaN);
    }

    /** The value after a series' name and labels; with tracing on, an exemplar and its timestamp may follow it. */
    private static double value(String line) {
        int labelsEnd = line.indexOf("} ");
        String rest = labelsEnd >= 0 ? line.substring(labelsEnd + 2) : line.substring(line.indexOf(' ') + 1);
        return Double.parseDouble(rest.split(" ")[0]);
    }

    private SecretBackend backend(String name) {
        return backends.find(name).orElseThrow();
    }

    private void seedLocal(String path, Map<String, String> fields) {
        try (SecretValue value = SecretValue.ofStrings(fields)) {
            backend("store").put(SecretPath.of(path), NewVersion.current(value)).await().indefinitely();
        }
    }

    private static Map<String, List<String>> stages(SecretBackend backend, String path) {
        Map<String, List<String>> byVersion = new LinkedHashMap<>();
        for (VersionInfo version : backend.versions(SecretPath.of(path)).await().indefinitely()) {
            byVersion.put(version.id(), version.stages().stream().map(Stage::label).sorted().toList());
        }
        return byVersion;
    }

    private Map<String, Object> alternating(String blue, String green) {
        String admin = "secret/rotated/admin-" + UUID.randomUUID();
        openBao.cli("kv", "put", admin, "username=postgres", "password=" + target.superuserPassword());
        return Map.of("target", "apps", "users", List.of(blue, green), "admin_secret", "openbao/" + admin);
    }

    /** The path of the admin login an alternating-users schedule names (in OpenBao). */
    private String alternatingAdmin(String id) {
        return schedule(id).getString("parameters.admin_secret").substring("openbao/".length());
    }

    /** A login role on the target with the password {@code first-password-0}. */
    private String role(String name) {
        String role = "rot_" + name + "_" + UUID.randomUUID().toString().substring(0, 8);
        superuser("create role " + role + " login password 'first-password-0'");
        return role;
    }

    private void superuser(String sql) {
        try (Connection c = target.superuser(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean logsIn(String user, String password) throws SQLException {
        return target.logsIn(user, password);
    }
}
