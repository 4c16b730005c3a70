package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainedEvent;
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
 * as, and as the schema owner, every way of changing, deleting, truncating or forging fails. The one deletion
 * possible below a superuser — the owner forging a checkpoint and an archive record to prune — is exposed by the
 * verifier.
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
            // A checkpoint must attest to the stored chain: another hash at the head is refused.
            String forged = "insert into audit_checkpoint (seq, hash, signed_at, key_id, signature) values (?, ?, now(), "
                    + "'0123456789abcdef', ?)";
            if (role.equals("app")) {
                assertThatThrownBy(() -> execute(c, forged, head, new byte[32], new byte[64])).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> execute(c, "select audit_checkpoint_record(?, ?, now(), '0123456789abcdef', ?)", head,
                        new byte[32], new byte[64])).hasMessageContaining("does not attest to the stored chain");
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", head - 1)).hasMessageContaining("permission denied");
            } else {
                assertThatThrownBy(() -> execute(c, forged, head, new byte[32], new byte[64]))
                        .hasMessageContaining("does not attest to the stored chain");
                // The owner may prune, but only an archived, sealed segment below the head.
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", head)).hasMessageContaining("below the head");
                assertThatThrownBy(() -> execute(c, "select audit_prune(?)", sealedSeq()))
                        .hasMessageContaining("have not been archived");
            }
        }
        assertThat(hashAt(head)).isEqualTo(headHash);
    }

    /**
     * An owner who forges a checkpoint (the true hash, a signature it cannot make) and a well-chained archive record can
     * get audit_prune to run. It cannot make the remaining log verify: nothing validly signed anchors it.
     */
    @Test
    @Order(3)
    void anOwnerWhoForgesHisWayToAPruneIsExposedByTheVerifier() throws SQLException {
        JsonPath before = verify();
        assertThat(before.getBoolean("valid")).as(before.prettify()).isTrue();
        long cut = head() - 1;
        try (Connection owner = connect("owner")) {
            execute(owner, "insert into audit_checkpoint (seq, hash, signed_at, key_id, signature) values (?, ?, now(), "
                    + "'0123456789abcdef', ?) on conflict do nothing", cut, hashAt(cut), new byte[64]);
            long next = head() + 1;
            ChainedEvent archive = new ChainedEvent(next, MovableClock.now(), "forged-archive", "caller", "token:admin",
                    "audit.archive", "audit", "audit", "archive/" + cut, null, null, null, "success", 200, null, null, null);
            byte[] hash = CanonicalForm.chain(hashAt(next - 1), archive.canonical());
            execute(owner, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                    + "target_kind, backend, path, outcome, status) values (2, ?, ?, ?, 'forged-archive', 'caller', 'token:admin', "
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

    private JsonPath verify() {
        return given().header("Authorization", "Bearer " + callers.token("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
    }

    private Connection connect(String role) throws SQLException {
        return role.equals("app") ? database.app() : database.owner();
    }

    private void insertEvent(Connection c, long seq, byte[] hash) throws SQLException {
        execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                + "target_kind, outcome, status) values (2, ?, ?, now(), 'forged', 'caller', 'token:app', 'read', 'none', "
                + "'success', 200)", seq, hash);
    }

    private void insertEvents(Connection c, long first, long second) throws SQLException {
        execute(c, "insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                + "target_kind, outcome, status) select 2, s, ?, now(), 'forged', 'caller', 'token:app', 'read', 'none', "
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
