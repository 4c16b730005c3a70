package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.lanyard.audit.OfflineVerifierAccess;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Old events leave the database only as whole sealed segments: exported with their checkpoint, then pruned,
 * so what remains still verifies from a signed anchor and the archive verifies offline.
 */
@QuarkusTest
@QuarkusTestResource(value = LanyardPeers.class, restrictToAnnotatedClass = false)
class AuditRetentionIT {

    private static String bearer(String name) {
        return "Bearer " + LanyardPeers.current().token(name);
    }

    @Test
    void archivingASealedSegmentKeepsBothPartsVerifiable() throws Exception {
        for (int i = 0; i < 5; i++) {
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        }
        long sealed = given().header("Authorization", bearer("admin")).post("/v1/audit/checkpoints")
                .then().statusCode(200).extract().jsonPath().getLong("seq");

        // Only a signed boundary can be cut at.
        given().header("Authorization", bearer("admin")).queryParam("up_to_seq", sealed - 1).post("/v1/audit/archive")
                .then().statusCode(400).body("code", equalTo("INVALID_QUERY"));
        // Archiving is an administrative act: auditors may read, not prune.
        given().header("Authorization", bearer("auditor")).queryParam("up_to_seq", sealed).post("/v1/audit/archive")
                .then().statusCode(403);

        JsonPath archived = given().header("Authorization", bearer("admin")).queryParam("up_to_seq", sealed)
                .post("/v1/audit/archive").then().statusCode(200).extract().jsonPath();
        assertThat(archived.getLong("pruned")).isPositive();
        assertThat(Audit.query("select min(seq) as first from audit_event").getFirst().get("first")).isEqualTo(sealed + 1);

        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        JsonPath remaining = given().header("Authorization", bearer("auditor")).post("/v1/audit/verify")
                .then().statusCode(200).extract().jsonPath();
        assertThat(remaining.getBoolean("valid")).as(remaining.prettify()).isTrue();

        Path segment = Path.of(archived.getString("archived"));
        Path publicKey = Files.createTempFile("lanyard-public-key", ".b64");
        Files.writeString(publicKey, given().header("Authorization", bearer("auditor")).get("/v1/audit/public-key")
                .then().statusCode(200).extract().path("public_key"));
        OfflineVerifierAccess.Outcome offline = OfflineVerifierAccess.run(segment, publicKey, LanyardPeers.current().checkpointFile());
        assertThat(offline.exitCode()).as(offline.output()).isZero();
        assertThat(offline.output()).contains("valid up to " + sealed);

        // Pruning cannot be done behind the function's back, even by the schema owner's trigger rules.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Audit.execute("delete from audit_event"))
                .hasMessageContaining("append-only");
    }
}
