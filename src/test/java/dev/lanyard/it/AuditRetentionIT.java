package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.lanyard.audit.store.AuditPrune;
import dev.lanyard.audit.chain.OfflineVerifierAccess;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Old events leave the database only as whole sealed segments: the service archives a segment (written, forced to
 * disk, verified, and recorded in the log), then the schema owner prunes it with a job of its own. The chain never
 * restarts, what remains still verifies from a signed anchor, and archive plus table together verify offline as one
 * history.
 */
@QuarkusTest
@TestProfile(OwnPeers.Retention.class)
@RealPeers
class AuditRetentionIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @Test
    void archivingAtTheHeadOfAnIdleLogThenPruningKeepsOneVerifiableHistory() throws Exception {
        assertThat(audit.query("select min(seq) as first from audit_event").getFirst().get("first"))
                .as("this class has a database of its own").isEqualTo(1L);
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        }
        // Idle from here on: the newest checkpoint seals the head the moment it is signed.
        long sealed = given().header("Authorization", bearer("admin")).post("/v1/audit/checkpoints")
                .then().statusCode(200).extract().jsonPath().getLong("seq");

        // Only a signed boundary can be cut at; the head itself never (the log would empty and its chain restart). The
        // request is well-formed: the log's state refuses it (409), not its syntax.
        given().header("Authorization", bearer("admin")).queryParam("up_to_seq", sealed - 1).post("/v1/audit/archive")
                .then().statusCode(409).body("code", equalTo("LOG_STATE"));
        long head = head();
        given().header("Authorization", bearer("admin")).queryParam("up_to_seq", head).post("/v1/audit/archive")
                .then().statusCode(409).body("detail", containsString("below the head"));
        // Archiving is an administrative act: auditors may read, not archive.
        given().header("Authorization", bearer("auditor")).queryParam("up_to_seq", sealed).post("/v1/audit/archive")
                .then().statusCode(403);

        JsonPath archived = given().header("Authorization", bearer("admin")).queryParam("up_to_seq", sealed)
                .post("/v1/audit/archive").then().statusCode(200).extract().jsonPath();
        assertThat(archived.getBoolean("pruned")).as("the service never deletes").isFalse();
        Path segment = Path.of(archived.getString("archived"));
        assertThat(segment).exists();
        // Archives are never overwritten.
        String before = Files.readString(segment);
        given().header("Authorization", bearer("admin")).queryParam("up_to_seq", sealed).post("/v1/audit/archive")
                .then().statusCode(409).body("detail", containsString("never overwritten"));
        assertThat(Files.readString(segment)).isEqualTo(before);

        Path publicKey = Files.createTempFile("lanyard-public-key", ".b64");
        Files.writeString(publicKey, given().header("Authorization", bearer("auditor")).get("/v1/audit/public-key")
                .then().statusCode(200).extract().path("public_key"));

        // The service's own role cannot prune; the owner's job can, after checking the segment.
        try (Connection app = database.app()) {
            assertThatThrownBy(() -> app.createStatement().execute("select audit_prune(" + sealed + ")"))
                    .hasMessageContaining("permission denied");
        }
        AuditPrune.Pruned pruned;
        try (Connection owner = database.owner()) {
            pruned = AuditPrune.prune(owner, segment, OfflineVerifierAccess.publicKey(publicKey));
        }
        assertThat(pruned.upToSeq()).isEqualTo(sealed);
        assertThat(pruned.removed()).isEqualTo(sealed);
        assertThat(audit.query("select min(seq) as first from audit_event").getFirst().get("first")).isEqualTo(sealed + 1);
        assertThat(audit.query("select count(*) as left from audit_path_prefix where seq <= " + sealed).getFirst().get("left"))
                .as("a pruned event's subtree entries go with it").isEqualTo(0L);

        // The chain goes on from where it was, never from seq 1.
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        assertThat(head()).isGreaterThan(sealed + 1);
        JsonPath remaining = given().header("Authorization", bearer("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
        assertThat(remaining.getBoolean("valid")).as(remaining.prettify()).isTrue();
        given().header("Authorization", bearer("admin")).post("/v1/audit/checkpoints").then().statusCode(200);

        // Offline: the archive alone, the rest of the table alone, and both together as one history from genesis.
        Path checkpoints = callers.checkpointFile();
        OfflineVerifierAccess.Outcome archive = OfflineVerifierAccess.run(segment, publicKey, checkpoints);
        assertThat(archive.exitCode()).as(archive.output()).isZero();
        assertThat(archive.output()).startsWith("valid up to " + sealed + ", signed at");
        Path rest = Files.createTempFile("lanyard-rest", ".jsonl");
        Files.writeString(rest, given().header("Authorization", bearer("auditor")).get("/v1/audit/export")
                .then().statusCode(200).extract().asString());
        OfflineVerifierAccess.Outcome table = OfflineVerifierAccess.run(rest, publicKey, checkpoints);
        assertThat(table.exitCode()).as(table.output()).isZero();
        List<String> whole = new ArrayList<>(Files.readAllLines(segment));
        whole.addAll(Files.readAllLines(rest));
        Path history = Files.write(Files.createTempFile("lanyard-history", ".jsonl"), whole);
        OfflineVerifierAccess.Outcome both = OfflineVerifierAccess.run(history, publicKey, checkpoints);
        assertThat(both.exitCode()).as(both.output()).isZero();
        assertThat(both.output()).startsWith("valid up to ");
    }

    private long head() {
        return (Long) audit.query("select max(seq) as head from audit_event").getFirst().get("head");
    }
}
