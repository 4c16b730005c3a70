package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Seal;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Someone with full control of the database tampers with the audit log; the verifier finds each change. The
 * last two (a re-chained copy, a rollback to an old backup) are only detectable through the checkpoints
 * published outside the database. Every test restores the true log afterwards.
 */
@QuarkusTest
@RealPeers
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuditChainIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @BeforeEach
    void someTrafficAndASignedHead() {
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
            given().header("Authorization", bearer("nobody")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(403);
        }
        given().header("Authorization", bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(200);
    }

    @Test
    @Order(1)
    void anUntouchedLogVerifies() {
        JsonPath result = verify();
        assertThat(result.getBoolean("valid")).as(result.prettify()).isTrue();
        assertThat(result.getString("summary")).startsWith("valid up to ").contains("signed at");
        assertThat(result.getLong("verified_up_to")).isGreaterThanOrEqualTo(10);
        long head = head();
        JsonPath range = given().header("Authorization", bearer("auditor")).queryParam("from_seq", head - 5)
                .queryParam("to_seq", head - 1).post("/v1/audit/verify").then().statusCode(200).extract().jsonPath();
        assertThat(range.getBoolean("valid")).as(range.prettify()).isTrue();
        assertThat(range.getLong("verified_up_to")).isEqualTo(head - 1);
    }

    @Test
    @Order(2)
    void aRangeVerificationFindsAChangeInsideIt() {
        long target = head() - 2;
        try (Connection c = database.superuser("lanyard"); Statement s = c.createStatement()) {
            s.execute("create table audit_truth as select * from audit_event");
            s.execute("alter table audit_event disable trigger user");
            try {
                s.execute("update audit_event set subject = 'token:someone-else' where seq = " + target);
                JsonPath range = given().header("Authorization", bearer("auditor")).queryParam("from_seq", target - 3)
                        .post("/v1/audit/verify").then().statusCode(200).extract().jsonPath();
                assertThat(range.getBoolean("valid")).as(range.prettify()).isFalse();
                assertThat(range.getLong("first_bad_seq")).isEqualTo(target);
            } finally {
                s.execute("delete from audit_event");
                s.execute("insert into audit_event select * from audit_truth");
                s.execute("drop table audit_truth");
                s.execute("alter table audit_event enable trigger user");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @Order(2)
    void aChangedFieldIsFound() {
        long target = head() - 4;
        tampered(s -> s.execute("update audit_event set subject = 'token:someone-else' where seq = " + target),
                target, "hash mismatch");
    }

    @Test
    @Order(3)
    void aDeletedRowIsFound() {
        long target = head() - 4;
        tampered(s -> s.execute("delete from audit_event where seq = " + target), target,
                "sequence gap: expected " + target + ", found " + (target + 1));
    }

    @Test
    @Order(4)
    void anInsertedRowIsFoundAndNothingIsChainedOntoTheShiftedHead() {
        long target = head() - 4;
        tamperedWithoutVerifying(s -> {
            s.execute("update audit_event set seq = seq + 1000000 where seq >= " + target);
            s.execute("update audit_event set seq = seq - 1000000 + 1 where seq >= " + (target + 1000000));
            s.execute("insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, "
                    + "target_kind, outcome, status) select 2, " + target + ", hash, occurred_at, 'forged', 'caller', 'token:app', "
                    + "'read', 'none', 'success', 200 from audit_event where seq = " + (target + 1));
        }, () -> {
            // Every row from the forged one on moved up: the head no longer verifies, so the writer refuses to chain
            // onto it. Nothing is served but the diagnosis: verification answers (its record is written later), and
            // readiness says why.
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config")
                    .then().statusCode(503).body("code", equalTo("AUDIT_UNAVAILABLE"));
            JsonPath verdict = verify();
            assertThat(verdict.getBoolean("valid")).as(verdict.prettify()).isFalse();
            assertThat(verdict.getLong("first_bad_seq")).isEqualTo(target);
            given().get("/q/health/ready").then().statusCode(503)
                    .body("checks.find { it.name == 'audit' }.data.reason", org.hamcrest.Matchers.containsString("does not verify"));
            ChainVerifier.Result direct = verifyStoredRows();
            assertThat(direct.valid()).as(direct.summary()).isFalse();
            assertThat(direct.firstBadSeq()).isEqualTo(target);
            assertThat(direct.reason()).isEqualTo("hash mismatch");
        });
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    @Order(5)
    void reorderedRowsAreFound() {
        long target = head() - 4;
        tampered(s -> {
            s.execute("update audit_event set seq = 999999999 where seq = " + target);
            s.execute("update audit_event set seq = " + target + " where seq = " + (target + 1));
            s.execute("update audit_event set seq = " + (target + 1) + " where seq = 999999999");
        }, target, "hash mismatch");
    }

    @Test
    @Order(6)
    void aTruncatedTailIsFoundThroughTheCheckpoint() {
        long signed = head();
        tampered(s -> s.execute("delete from audit_event where seq > " + (signed - 3)), null, "checkpoint");
    }

    @Test
    @Order(7)
    void aReChainedReplacementIsFoundThroughTheWriterSealsItCannotRemake() {
        long target = head() - 4;
        tampered(s -> {
            s.execute("update audit_event set subject = 'token:someone-else' where seq = " + target);
            rechainFrom(s.getConnection(), target);
            // The forger also removes the database's own record of the signature it cannot reproduce.
            s.execute("delete from audit_checkpoint");
        }, null, "writer seal");
    }

    @Test
    @Order(7)
    void aReChainedAndResealedReplacementIsStillFoundThroughThePublishedCheckpoint() {
        // Whoever could also re-seal (a stolen signing key) is left with the checkpoints published outside the database.
        long target = head() - 4;
        tampered(s -> {
            s.execute("update audit_event set subject = 'token:someone-else' where seq = " + target);
            byte[] newHead = rechainFrom(s.getConnection(), target);
            long head = head();
            Seal seal = callers.stolenAuditSigningKey().seal(target, head, newHead);
            s.execute("update audit_event set seal_first = null, seal_key_id = null, seal_signature = null where seq >= "
                    + target);
            try (PreparedStatement reseal = s.getConnection().prepareStatement(
                    "update audit_event set seal_first = ?, seal_key_id = ?, seal_signature = ? where seq = ?")) {
                reseal.setLong(1, seal.firstSeq());
                reseal.setString(2, seal.keyId());
                reseal.setBytes(3, seal.signature());
                reseal.setLong(4, head);
                reseal.executeUpdate();
            }
            s.execute("delete from audit_checkpoint");
        }, null, "checkpoint");
    }

    @Test
    @Order(8)
    void aRollbackToAnOlderBackupIsFoundThroughThePublishedCheckpoint() {
        audit.execute("create table audit_old as select * from audit_event");
        audit.execute("create table checkpoint_old as select * from audit_checkpoint");
        try {
            // The log moves on and is signed again; then the database is restored from the old copy.
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
            given().header("Authorization", bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(200);
            tampered(s -> {
                s.execute("delete from audit_event");
                s.execute("insert into audit_event select * from audit_old");
                s.execute("delete from audit_checkpoint");
                s.execute("insert into audit_checkpoint select * from checkpoint_old");
            }, null, "checkpoint");
        } finally {
            audit.execute("drop table audit_old");
            audit.execute("drop table checkpoint_old");
        }
    }

    @Test
    @Order(9)
    void afterAllThatTheTrueLogStillVerifies() {
        JsonPath result = verify();
        assertThat(result.getBoolean("valid")).as(result.prettify()).isTrue();
    }

    @FunctionalInterface
    interface Tamper {
        void apply(Statement statement) throws SQLException;
    }

    /** Applies a change with the append-only trigger disabled, verifies, and restores the true log. */
    private void tampered(Tamper tamper, Long expectedFirstBad, String reasonContains) {
        tamperedWithoutVerifying(tamper, () -> {
            JsonPath result = verify();
            assertThat(result.getBoolean("valid")).as(result.prettify()).isFalse();
            if (expectedFirstBad != null) {
                assertThat(result.getLong("first_bad_seq")).as(result.prettify()).isEqualTo(expectedFirstBad);
            }
            if (reasonContains != null) {
                assertThat(result.getString("reason")).as(result.prettify()).contains(reasonContains);
            }
            assertThat(result.getString("summary")).startsWith("broken at seq ");
        });
    }

    /** Applies a change with the database's guards off, runs the checks, and restores the true log. */
    private void tamperedWithoutVerifying(Tamper tamper, Runnable checks) {
        try (Connection c = database.superuser("lanyard"); Statement s = c.createStatement()) {
            s.execute("create table audit_truth as select * from audit_event");
            s.execute("create table checkpoint_truth as select * from audit_checkpoint");
            // A superuser can switch the database's own guards off; only the chain and the published checkpoints remain.
            s.execute("alter table audit_event disable trigger user");
            s.execute("alter table audit_checkpoint disable trigger user");
            try {
                tamper.apply(s);
                checks.run();
            } finally {
                s.execute("delete from audit_event");
                s.execute("insert into audit_event select * from audit_truth");
                s.execute("delete from audit_checkpoint");
                s.execute("insert into audit_checkpoint select * from checkpoint_truth");
                s.execute("drop table audit_truth");
                s.execute("drop table checkpoint_truth");
                s.execute("alter table audit_event enable trigger user");
                s.execute("alter table audit_checkpoint enable trigger user");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The chain as stored, verified from genesis straight from the database, as an auditor with a dump would. */
    private ChainVerifier.Result verifyStoredRows() {
        List<ChainedEvent> rows = new ArrayList<>();
        try (Connection c = database.superuser("lanyard");
             ResultSet rs = c.createStatement().executeQuery("select * from audit_event where seq is not null order by seq")) {
            while (rs.next()) {
                rows.add(row(rs, rs.getBytes("hash")));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return new ChainVerifier().verify(rows, CanonicalForm.GENESIS, 0, List.of(), callers.auditPublicKey());
    }

    private ChainedEvent row(ResultSet rs, byte[] hash) throws SQLException {
        long sealFirst = rs.getLong("seal_first");
        Seal seal = rs.wasNull() ? null : new Seal(sealFirst, rs.getString("seal_key_id"), rs.getBytes("seal_signature"));
        return new ChainedEvent(rs.getInt("format"), rs.getLong("seq"), rs.getObject("occurred_at", OffsetDateTime.class).toInstant(),
                rs.getString("request_id"), rs.getString("actor_kind"), rs.getString("subject"), rs.getString("credential_id"),
                rs.getString("operation"), rs.getString("target_kind"), rs.getString("backend"), rs.getString("path"),
                rs.getString("detail"), rs.getString("version"), rs.getString("lease_hmac"), rs.getString("outcome"),
                rs.getObject("status", Integer.class), rs.getString("error_code"), rs.getString("client_address"), hash, seal);
    }

    /**
     * What a forger with the schema but without the signing key can do: recompute every hash from a row on. Returns the
     * new hash of the head.
     */
    private byte[] rechainFrom(Connection c, long from) throws SQLException {
        byte[] previous;
        try (ResultSet rs = c.createStatement().executeQuery("select hash from audit_event where seq = " + (from - 1))) {
            rs.next();
            previous = rs.getBytes(1);
        }
        List<ChainedEvent> rows = new ArrayList<>();
        try (ResultSet rs = c.createStatement().executeQuery("select * from audit_event where seq >= " + from + " order by seq")) {
            while (rs.next()) {
                rows.add(row(rs, null));
            }
        }
        try (PreparedStatement update = c.prepareStatement("update audit_event set hash = ? where seq = ?")) {
            for (ChainedEvent row : rows) {
                previous = CanonicalForm.chain(previous, row.canonical());
                update.setBytes(1, previous);
                update.setLong(2, row.seq());
                update.executeUpdate();
            }
        }
        return previous;
    }

    private long head() {
        return (Long) audit.query("select max(seq) as head from audit_event").getFirst().get("head");
    }

    private JsonPath verify() {
        return given().header("Authorization", bearer("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
    }

    @Test
    @Order(10)
    void verifyingNeedsAuditReadAndTheRefusalIsAudited() {
        String requestId = "it-verify-denied-" + java.util.UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).post("/v1/audit/verify")
                .then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "audit.verify").containsEntry("outcome", "denied"));
    }
}
