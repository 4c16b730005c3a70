package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.store.AuditQuarantine;
import dev.lanyard.devstack.EmbeddedDatabase;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 21, items 1 and 2, end to end. The chain format is public and unkeyed, and the app role's password is in every
 * pod: whoever holds it appends an event that never happened — "token:security read the payments database, success" —
 * with a correctly computed hash. Lanyard must tell it from its own rows (it carries no writer seal), never chain onto
 * it or sign it into a checkpoint, name it to auditors (whose verification keeps working while appends are refused) and
 * operators (readiness, a metric), and give the schema owner a way to quarantine it so that the log goes on, with the
 * quarantine recorded in it.
 */
@QuarkusTest
@TestProfile(OwnPeers.ForeignRows.class)
@RealPeers
class AuditForeignRowIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    @Test
    void aForgedRowAtTheHeadIsNamedNeverSignedAndQuarantinedByTheOwner() throws Exception {
        read("app").then().statusCode(200);
        given().header("Authorization", callers.bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(200);

        // As the app role: a read that never happened, correctly chained onto the head, in the current format.
        long forged = forgeAtTheHead();
        try (Connection app = database.app()) {
            // The app role may also record a checkpoint of the head it forged; its signature is garbage.
            execute(app, "select audit_checkpoint_record(?, ?, now(), 'deadbeefdeadbeef', ?)", forged, hashAt(forged),
                    new byte[64]);
        }

        // Auditors: verification answers, though its own record cannot be written, and names the forged row.
        JsonPath verdict = verify();
        assertThat(verdict.getBoolean("valid")).as(verdict.prettify()).isFalse();
        assertThat(verdict.getLong("first_bad_seq")).isEqualTo(forged);
        assertThat(verdict.getString("reason")).isEqualTo("seq " + forged + " carries no writer seal: not written by Lanyard");

        // Operators: readiness and the metric name the seq; the data plane fails closed.
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'audit' }.data.reason", containsString("seq " + forged))
                .body("checks.find { it.name == 'audit' }.data.reason", containsString("not written by Lanyard"));
        assertThat(metric("lanyard_audit_head_refused")).isEqualTo(forged);
        read("app").then().statusCode(503).body("code", equalTo("AUDIT_UNAVAILABLE"));

        // Nothing chained onto it, and no checkpoint of Lanyard's covers it.
        given().header("Authorization", callers.bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(503);
        assertThat(head()).isEqualTo(forged);
        assertThat(publishedSeqs()).allMatch(seq -> seq < forged);

        // The owner's way out: a dry run says what would move; a seq Lanyard sealed is refused; then the quarantine.
        byte[] publicKey = callers.auditPublicKey();
        try (Connection owner = database.owner()) {
            AuditQuarantine.Quarantined plan = AuditQuarantine.quarantine(owner, forged, publicKey, "INC-21: forged read", true);
            assertThat(plan.firstSeq()).isEqualTo(forged);
            assertThat(plan.lastSeq()).isEqualTo(forged);
            assertThat(head()).as("a dry run moves nothing").isEqualTo(forged);
            assertThatThrownBy(() -> AuditQuarantine.quarantine(owner, forged - 1, publicKey, "wrong seq", false))
                    .hasMessageContaining("it is Lanyard's, not foreign");
            AuditQuarantine.Quarantined done = AuditQuarantine.quarantine(owner, forged, publicKey, "INC-21: forged read", false);
            assertThat(done.rows()).isEqualTo(1);

            // Kept whole as evidence, out of the chain; the checkpoint row forged with it too.
            List<Map<String, Object>> kept = audit.query("select kind, seq, content ->> 'request_id' as request_id,"
                    + " content ->> 'subject' as subject from audit_quarantined_row where quarantine_id = ? order by kind",
                    done.id());
            assertThat(kept).extracting(row -> row.get("kind")).containsExactly("checkpoint", "event");
            assertThat(kept.get(1)).containsEntry("request_id", "never-happened").containsEntry("subject", "token:security");
            assertThat(head()).isEqualTo(forged - 1);

            // The chain goes on, and says so itself: the quarantine is recorded once, sealed like any event.
            awaitTrue(() -> given().get("/q/health/ready").statusCode() == 200, "ready again");
            read("app").then().statusCode(200);
            awaitTrue(() -> !audit.query("select seq from audit_event where operation = 'audit.quarantine' and path = ?",
                    "quarantine/" + done.id()).isEmpty(), "the quarantine recorded in the log");
            Map<String, Object> fact = audit.query("select * from audit_event where operation = 'audit.quarantine'").getFirst();
            assertThat((String) fact.get("detail")).contains("seq " + forged).contains("INC-21: forged read");
            assertThat(fact.get("actor_kind")).isEqualTo("system");
        }
        assertThat(metric("lanyard_audit_head_refused")).isZero();

        // The verification answered while appends were refused is recorded too, late, and says so.
        awaitTrue(() -> audit.query("select seq from audit_event where operation = 'audit.verify' and detail like 'recorded late%'")
                .size() == 1, "the late record of the verification");

        given().header("Authorization", callers.bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(200);
        JsonPath after = verify();
        assertThat(after.getBoolean("valid")).as(after.prettify()).isTrue();
    }

    @Test
    void theOldUnsealedFormatCannotBeUsedToGetAroundTheSeals() throws SQLException {
        long head = head();
        try (Connection app = database.app()) {
            ChainedEvent old = event(CanonicalForm.LEGACY_FORMAT, head + 1);
            assertThatThrownBy(() -> insert(app, old.withHash(old.chainedAfter(hashAt(head)))))
                    .hasMessageContaining("only sealed rows may follow");
        }
    }

    private io.restassured.response.Response read(String caller) {
        return given().header("Authorization", callers.bearer(caller)).get("/v1/secrets/openbao/secret/payments/config");
    }

    private JsonPath verify() {
        return given().header("Authorization", callers.bearer("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
    }

    private long forgeAtTheHead() throws SQLException {
        long head = head();
        ChainedEvent row = event(CanonicalForm.FORMAT, head + 1);
        try (Connection app = database.app()) {
            insert(app, row.withHash(row.chainedAfter(hashAt(head))));
        }
        return head + 1;
    }

    private static ChainedEvent event(int format, long seq) {
        return new ChainedEvent(format, seq, Instant.now(), "never-happened", "caller", "token:security",
                format == CanonicalForm.FORMAT ? "0123456789abcdef" : null, "read", "secret", "openbao",
                "secret/payments/config", null, "1", null, "success", 200, null, "10.0.0.66", null, null);
    }

    private void insert(Connection c, ChainedEvent e) throws SQLException {
        execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, credential_id,"
                        + " operation, target_kind, backend, path, version, outcome, status, client_address)"
                        + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", e.format(), e.seq(), e.hash(),
                e.occurredAt().atOffset(ZoneOffset.UTC), e.requestId(), e.actorKind(), e.subject(), e.credentialId(),
                e.operation(), e.targetKind(), e.backend(), e.path(), e.version(), e.outcome(), e.status(), e.clientAddress());
    }

    private void execute(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement statement = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setObject(i + 1, params[i]);
            }
            statement.execute();
        }
    }

    private long head() {
        return (Long) audit.query("select max(seq) as head from audit_event").getFirst().get("head");
    }

    private byte[] hashAt(long seq) throws SQLException {
        try (Connection c = database.app(); PreparedStatement s = c.prepareStatement("select hash from audit_event where seq = ?")) {
            s.setLong(1, seq);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getBytes(1);
            }
        }
    }

    private List<Long> publishedSeqs() throws IOException {
        if (!Files.exists(callers.checkpointFile())) {
            return List.of();
        }
        return Files.readAllLines(callers.checkpointFile()).stream().filter(line -> !line.isBlank())
                .map(line -> Checkpoint.fromJsonLine(line).seq()).toList();
    }

    private static long metric(String name) {
        for (String line : given().get("/q/metrics").then().statusCode(200).extract().asString().lines().toList()) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(45));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within 45 s: " + what);
            }
            Thread.sleep(250);
        }
    }
}
