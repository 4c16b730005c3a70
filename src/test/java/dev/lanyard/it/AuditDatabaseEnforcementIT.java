package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The database itself keeps the audit log's promises, whatever the application does: as the role the service runs
 * as, and as the schema owner, every way of changing, deleting, truncating or forging fails. What the owner can still do
 * with DDL — switch a trigger off and rewrite or cut the log, forge a checkpoint and an archive record to prune — is
 * exposed by the verifier, through the writer seals and the checkpoints published outside the database (here an S3
 * Object Lock bucket, as in production).
 */
@QuarkusTest
@TestProfile(OwnPeers.DatabaseEnforcement.class)
@RealPeers
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditDatabaseEnforcementIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    @InjectPeer
    MotoResource.AwsPeer aws;

    private static final List<String> REWRITES = List.of(
            "update audit_event set outcome = 'success'",
            "delete from audit_event",
            "delete from audit_event where seq = 1",
            "truncate audit_event",
            "set lanyard.audit_prune = 'on'; delete from audit_event",
            "update audit_checkpoint set signed_at = now()",
            "delete from audit_checkpoint",
            "truncate audit_checkpoint",
            // The subtree index auditors query through: a removed row would hide an event from them.
            "delete from audit_path_prefix",
            "update audit_path_prefix set seq = seq + 1",
            "truncate audit_path_prefix");

    @BeforeEach
    void someHistoryAndACheckpoint() {
        for (int i = 0; i < 3; i++) {
            given().header("Authorization", "Bearer " + callers.token("app"))
                    .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        }
        given().header("Authorization", "Bearer " + callers.token("admin")).post("/v1/audit/checkpoints")
                .then().statusCode(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "owner"})
    @Order(1)
    void noRoleBelowSuperuserCanRewriteHistory(String role) throws SQLException {
        long rows = count("audit_event");
        long checkpoints = count("audit_checkpoint");
        for (String rewrite : REWRITES) {
            try (Connection c = connect(role)) {
                assertThatThrownBy(() -> c.createStatement().execute(rewrite)).as(role + ": " + rewrite)
                        .hasMessageMatching("(?s).*(append-only|permission denied).*");
            }
        }
        assertThat(count("audit_event")).isEqualTo(rows);
        assertThat(count("audit_checkpoint")).isEqualTo(checkpoints);
        try (Connection app = connect("app")) {
            assertThatThrownBy(() -> app.createStatement().execute("insert into audit_path_prefix values ('openbao/x/', 1)"))
                    .as("only the database files prefixes").hasMessageContaining("permission denied");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "owner"})
    @Order(2)
    void malformedOrOutOfPlaceRowsAreRefused(String role) throws SQLException {
        long head = head();
        byte[] headHash = hashAt(head);
        try (Connection c = connect(role)) {
            assertThatThrownBy(() -> insertEvent(c, head + 1, new byte[1])).as("a 1-byte hash")
                    .hasMessageContaining("audit_event_is_a_chain_link");
            assertThatThrownBy(() -> insertEvent(c, head + 5, new byte[32])).as("a gap")
                    .hasMessageContaining("does not follow the head");
            assertThatThrownBy(() -> insertEvent(c, head, new byte[32])).as("a repeat").isInstanceOf(SQLException.class);
            // One statement, checked as one batch: a gap inside it, or a batch that starts right but skips, is refused too.
            assertThatThrownBy(() -> insertEvents(c, head + 1, head + 3)).as("a gap inside a batch")
                    .hasMessageContaining("not one contiguous run");
            assertThatThrownBy(() -> insertEvents(c, head + 2, head + 3)).as("a batch after a gap")
                    .hasMessageContaining("does not follow the head");
            assertThatThrownBy(() -> insertEvent(c, 0, new byte[32])).as("seq 0")
                    .hasMessageMatching("(?s).*(audit_event_is_a_chain_link|does not follow the head).*");
            // The old, unsealed format cannot follow sealed rows: it would be a way around the seals.
            assertThatThrownBy(() -> insertEvent(c, 2, head + 1, new byte[32])).as("format 2 after format 3")
                    .hasMessageContaining("only sealed rows may follow");
            // A seal the database can see is malformed: too short a signature, a key id not in Lanyard's form.
            assertThatThrownBy(() -> execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind,"
                    + " subject, operation, target_kind, outcome, status, seal_first, seal_key_id, seal_signature) values (3, ?, ?,"
                    + " now(), 'forged', 'caller', 'token:app', 'read', 'none', 'success', 200, ?, 'not-a-key-id', ?)",
                    head + 1, new byte[32], head + 1, new byte[12])).as("a malformed seal")
                    .hasMessageContaining("audit_event_is_a_chain_link");
            // A checkpoint must attest to the stored chain: another hash at the head is refused.
            String forged = "insert into audit_checkpoint (seq, hash, signed_at, key_id, signature) values (?, ?, now(), "
                    + "'0123456789abcdef', ?)";
            if (role.equals("app")) {
                assertThatThrownBy(() -> execute(c, forged, head, new byte[32], new byte[64])).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> execute(c, "select audit_checkpoint_record(?, ?, now(), '0123456789abcdef', ?)", head,
                        new byte[32], new byte[64])).hasMessageContaining("does not attest to the stored chain");
                // Only the head can be checkpointed: a row below it, with its true hash, is refused.
                assertThatThrownBy(() -> execute(c, "select audit_checkpoint_record(?, ?, now(), '0123456789abcdef', ?)",
                        head - 1, hashAt(head - 1), new byte[64])).hasMessageContaining("is not of the head");
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", head - 1)).hasMessageContaining("permission denied");
            } else {
                assertThatThrownBy(() -> execute(c, forged, head, new byte[32], new byte[64]))
                        .hasMessageContaining("does not attest to the stored chain");
                assertThatThrownBy(() -> execute(c, forged, head - 1, hashAt(head - 1), new byte[64]))
                        .hasMessageContaining("is not of the head");
                // The owner may prune, but only an archived, sealed segment below the head.
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", head)).hasMessageContaining("below the head");
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", sealedSeq()))
                        .hasMessageContaining("have not been archived");
            }
        }
        assertThat(hashAt(head)).isEqualTo(headHash);
    }

    /**
     * An owner who forges a checkpoint below the head (which takes switching the database's check off with DDL: only the
     * head can be checkpointed) and a well-chained archive record can get audit_prune to run. It cannot make the
     * remaining log verify: nothing validly signed anchors it, and the archive record carries no writer seal.
     */
    @Test
    @Order(4)
    void anOwnerWhoForgesHisWayToAPruneIsExposedByTheVerifier() throws SQLException {
        JsonPath before = verify();
        assertThat(before.getBoolean("valid")).as(before.prettify()).isTrue();
        long cut = head() - 1;
        try (Connection owner = connect("owner")) {
            execute(owner, "alter table audit_checkpoint disable trigger audit_checkpoint_matches_chain");
            execute(owner, "insert into audit_checkpoint (seq, hash, signed_at, key_id, signature) values (?, ?, now(), "
                    + "'0123456789abcdef', ?) on conflict do nothing", cut, hashAt(cut), new byte[64]);
            execute(owner, "alter table audit_checkpoint enable trigger audit_checkpoint_matches_chain");
            long next = head() + 1;
            ChainedEvent archive = new ChainedEvent(CanonicalForm.FORMAT, next, MovableClock.now(), "forged-archive", "caller",
                    "token:admin", null, "audit.archive", "audit", "audit", "archive/" + cut, null, null, null, "success", 200,
                    null, null, null, null);
            byte[] hash = CanonicalForm.chain(hashAt(next - 1), archive.canonical());
            execute(owner, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                    + "target_kind, backend, path, outcome, status) values (3, ?, ?, ?, 'forged-archive', 'caller', 'token:admin', "
                    + "'audit.archive', 'audit', 'audit', ?, 'success', 200)",
                    next, hash, archive.occurredAt().atOffset(ZoneOffset.UTC), "archive/" + cut);
            execute(owner, "select audit_prune(?)", cut);
        }
        assertThat(audit.query("select min(seq) as first from audit_event").getFirst().get("first")).isEqualTo(cut + 1);
        JsonPath after = verify();
        assertThat(after.getBoolean("valid")).as(after.prettify()).isFalse();
        assertThat(after.getLong("first_bad_seq")).isEqualTo(cut + 1);
        assertThat(after.getString("reason")).contains("no signed checkpoint anchors");
    }

    /**
     * Someone with the app role's password records a checkpoint of the head with a signature Lanyard's key did not make
     * and a key id of their own. It is not evidence of anything: verification reports it as ignored rather than as
     * tampering with the log, and Lanyard's next checkpoint of that head is signed and published all the same.
     */
    @Test
    @Order(3)
    void aCheckpointRecordedFromOutsideRaisesNoAlarmAndTakesNothingFromLanyard() throws Exception {
        given().header("Authorization", "Bearer " + callers.token("app")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200);
        long head = head();
        try (Connection app = connect("app")) {
            execute(app, "select audit_checkpoint_record(?, ?, now(), 'deadbeefdeadbeef', ?)", head, hashAt(head), new byte[64]);
        }

        // Lanyard's own checkpoint of that very head (nothing was appended since: the access is recorded after it acts).
        JsonPath signed = given().header("Authorization", "Bearer " + callers.token("admin")).post("/v1/audit/checkpoints")
                .then().statusCode(200).extract().jsonPath();
        assertThat(signed.getLong("seq")).as(signed.prettify()).isEqualTo(head);
        assertThat(signed.getString("key_id")).isNotEqualTo("deadbeefdeadbeef");
        assertThat(publishedSeqs()).as("published outside the database though the row was taken").contains(head);

        JsonPath after = verify();
        assertThat(after.getBoolean("valid")).as(after.prettify()).isTrue();
        assertThat(after.getLong("verified_up_to")).isGreaterThanOrEqualTo(head);
        assertThat(after.getString("summary")).contains("signed at").contains("ignored: checkpoint rows in the database"
                + " that this key did not sign, at seq [" + head + "]");
    }

    /**
     * The schema owner owns the log's tables, so it can switch their guards off with DDL — the one thing below a superuser
     * the database cannot refuse. Here it cuts the log back to an earlier checkpoint, removing the checkpoint rows after
     * it too: what remains is a well-chained, sealed log. Only the checkpoints published outside the database (the S3
     * Object Lock bucket, read alone here) show what is missing.
     */
    @Test
    @Order(2)
    void anOwnerWhoDisablesTheTriggerToCutTheLogIsCaughtByTheExternalCheckpoints() throws Exception {
        long kept = head();
        for (int i = 0; i < 3; i++) {
            given().header("Authorization", "Bearer " + callers.token("app")).get("/v1/secrets/openbao/secret/payments/config")
                    .then().statusCode(200);
        }
        given().header("Authorization", "Bearer " + callers.token("admin")).post("/v1/audit/checkpoints").then().statusCode(200);
        long signed = sealedSeq();
        assertThat(signed).isGreaterThan(kept);
        assertThat(publishedInS3()).as("the checkpoint at " + signed + " is in the bucket").contains(signed);

        snapshotTheLog();
        try {
            try (Connection owner = connect("owner")) {
                execute(owner, "alter table audit_event disable trigger audit_event_no_update_delete");
                execute(owner, "alter table audit_checkpoint disable trigger audit_checkpoint_no_update_delete");
                execute(owner, "alter table audit_path_prefix disable trigger audit_path_prefix_no_update_delete");
                execute(owner, "delete from audit_event where seq > ?", kept);
                execute(owner, "delete from audit_path_prefix where seq > ?", kept);
                execute(owner, "delete from audit_checkpoint where seq > ?", kept);
                execute(owner, "alter table audit_path_prefix enable trigger audit_path_prefix_no_update_delete");
                execute(owner, "alter table audit_checkpoint enable trigger audit_checkpoint_no_update_delete");
                execute(owner, "alter table audit_event enable trigger audit_event_no_update_delete");
            }
            assertThat(head()).isEqualTo(kept);
            Path file = callers.checkpointFile();
            Path aside = file.resolveSibling("checkpoints-aside.jsonl");
            Files.move(file, aside);
            try {
                JsonPath cut = verify();
                assertThat(cut.getBoolean("valid")).as(cut.prettify()).isFalse();
                assertThat(cut.getLong("first_bad_seq")).isEqualTo(kept + 1);
                assertThat(cut.getString("reason")).contains("checkpoint").contains("covers " + signed);
            } finally {
                Files.move(aside, file);
            }
        } finally {
            restoreTheLog();
        }
        JsonPath restored = verify();
        assertThat(restored.getBoolean("valid")).as(restored.prettify()).isTrue();
    }

    private void snapshotTheLog() {
        audit.execute("create table audit_truth as select * from audit_event");
        audit.execute("create table prefix_truth as select * from audit_path_prefix");
        audit.execute("create table checkpoint_truth as select * from audit_checkpoint");
    }

    /** Puts the log back as it was before a test rewrote it (as a superuser), with whatever was appended since. */
    private void restoreTheLog() {
        audit.execute("alter table audit_event disable trigger user");
        audit.execute("alter table audit_path_prefix disable trigger user");
        audit.execute("alter table audit_checkpoint disable trigger user");
        try {
            audit.execute("delete from audit_event");
            audit.execute("insert into audit_event select * from audit_truth");
            audit.execute("delete from audit_path_prefix");
            audit.execute("insert into audit_path_prefix select * from prefix_truth");
            audit.execute("delete from audit_checkpoint");
            audit.execute("insert into audit_checkpoint select * from checkpoint_truth");
        } finally {
            audit.execute("alter table audit_event enable trigger user");
            audit.execute("alter table audit_path_prefix enable trigger user");
            audit.execute("alter table audit_checkpoint enable trigger user");
            audit.execute("drop table audit_truth");
            audit.execute("drop table prefix_truth");
            audit.execute("drop table checkpoint_truth");
        }
    }

    /** The seqs of the checkpoints in the S3 bucket: one object each, the seq first in its name. */
    private List<Long> publishedInS3() {
        return aws.s3().listObjectsV2Paginator(r -> r.bucket(MotoResource.CHECKPOINT_BUCKET).prefix("lanyard/checkpoints/"))
                .contents().stream().map(o -> Long.parseLong(o.key().substring("lanyard/checkpoints/".length(),
                        "lanyard/checkpoints/".length() + 20))).toList();
    }

    /** The seqs of every checkpoint published outside the database (the S3 bucket and the file). */
    private List<Long> publishedSeqs() throws IOException {
        List<Long> seqs = new java.util.ArrayList<>(publishedInS3());
        for (String line : Files.readAllLines(callers.checkpointFile())) {
            if (!line.isBlank()) {
                seqs.add(Checkpoint.fromJsonLine(line).seq());
            }
        }
        return seqs;
    }

    private JsonPath verify() {
        return given().header("Authorization", "Bearer " + callers.token("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
    }

    private Connection connect(String role) throws SQLException {
        return role.equals("app") ? database.app() : database.owner();
    }

    private void insertEvent(Connection c, long seq, byte[] hash) throws SQLException {
        insertEvent(c, 3, seq, hash);
    }

    private void insertEvent(Connection c, int format, long seq, byte[] hash) throws SQLException {
        execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                + "target_kind, outcome, status) values (?, ?, ?, now(), 'forged', 'caller', 'token:app', 'read', 'none', "
                + "'success', 200)", format, seq, hash);
    }

    private void insertEvents(Connection c, long first, long second) throws SQLException {
        execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                + "target_kind, outcome, status) select 3, s, ?, now(), 'forged', 'caller', 'token:app', 'read', 'none', "
                + "'success', 200 from unnest(array[?, ?]::bigint[]) s", new byte[32], first, second);
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

    private long sealedSeq() {
        return (Long) audit.query("select max(seq) as seq from audit_checkpoint").getFirst().get("seq");
    }

    private long count(String table) {
        return (Long) audit.query("select count(*) as n from " + table).getFirst().get("n");
    }

    private byte[] hashAt(long seq) throws SQLException {
        try (Connection c = database.superuser("lanyard");
             PreparedStatement s = c.prepareStatement("select hash from audit_event where seq = ?")) {
            s.setLong(1, seq);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                return rows.getBytes(1);
            }
        }
    }
}
