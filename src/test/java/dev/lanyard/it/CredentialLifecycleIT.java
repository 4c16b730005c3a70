package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The first slice end to end: an application gets a real PostgreSQL login from OpenBao through Lanyard, uses
 * it, renews it, gives it back, and can no longer use it; every step is in the audit log, no password is.
 */
@QuarkusTest
@RealPeers
class CredentialLifecycleIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    private static final String ISSUE_PATH = "/v1/creds/openbao/database/creds/" + OpenBaoResource.ROLE_APP;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @Test
    void applicationGetsUsesRenewsAndRevokesADatabaseLogin() throws SQLException {
        String issueId = "it-issue-" + UUID.randomUUID();
        Instant before = MovableClock.now();
        ExtractableResponse<Response> issued = given().header("Authorization", bearer("app")).header("X-Request-Id", issueId)
                .when().post(ISSUE_PATH)
                .then().statusCode(200).contentType(ContentType.JSON).extract();
        String username = issued.path("data.username");
        String password = issued.path("data.password");
        String leaseId = issued.path("lease_id");
        assertThat(username).startsWith("v-");
        assertThat(password).isNotBlank();
        assertThat(leaseId).startsWith("database/creds/app/");
        assertThat(issued.<Integer>path("ttl")).isBetween(500, 600);
        Instant expiresAt = Instant.parse(issued.path("expires_at"));
        Instant refreshAfter = Instant.parse(issued.path("refresh_after"));
        assertThat(refreshAfter).isAfter(before).isBefore(expiresAt);

        assertThat(canLogIn(username, password)).as("issued login works").isTrue();

        String renewId = "it-renew-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", renewId)
                .contentType(ContentType.JSON).body(Map.of("lease_id", leaseId, "increment", 1200))
                .when().post("/v1/leases/renew")
                .then().statusCode(200).body("lease_id", equalTo(leaseId)).body("renewable", equalTo(true));

        String revokeId = "it-revoke-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", revokeId)
                .contentType(ContentType.JSON).body(Map.of("lease_id", leaseId))
                .when().post("/v1/leases/revoke")
                .then().statusCode(204);

        assertThat(canLogIn(username, password)).as("revoked login must stop working").isFalse();

        Map<String, Object> issueRow = single(issueId);
        assertThat(issueRow).containsEntry("subject", "token:app").containsEntry("operation", "issue")
                .containsEntry("outcome", "success").containsEntry("backend", "openbao")
                .containsEntry("path", "database/creds/app").containsEntry("status", 200);
        String fingerprint = (String) issueRow.get("lease_hmac");
        assertThat(fingerprint).hasSize(64).doesNotContain(leaseId);
        assertThat(single(renewId)).containsEntry("operation", "renew").containsEntry("outcome", "success")
                .containsEntry("lease_hmac", fingerprint).containsEntry("subject", "token:app");
        assertThat(single(revokeId)).containsEntry("operation", "revoke").containsEntry("outcome", "success")
                .containsEntry("lease_hmac", fingerprint).as("the status actually sent").containsEntry("status", 204);

        for (Map<String, Object> row : audit.allRows()) {
            assertThat(row.values().toString()).doesNotContain(password).doesNotContain(leaseId);
        }

        // Renewing a revoked lease is refused, and that refusal is audited too.
        String lateId = "it-late-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", lateId)
                .contentType(ContentType.JSON).body(Map.of("lease_id", leaseId))
                .when().post("/v1/leases/renew")
                .then().statusCode(404).contentType("application/problem+json").body("code", equalTo("LEASE_NOT_FOUND"));
        assertThat(single(lateId)).containsEntry("outcome", "not_found");
    }

    @Test
    void aRoleTheBackendDoesNotHaveIsA404NotABackendFault() {
        // The caller may issue from this role, but OpenBao has no such role (it answers 400 "unknown role").
        String requestId = "it-no-role-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId)
                .post("/v1/creds/openbao/database/creds/" + OpenBaoResource.ROLE_MISSING)
                .then().statusCode(404).contentType("application/problem+json").body("code", equalTo("SECRET_NOT_FOUND"));
        assertThat(single(requestId)).containsEntry("outcome", "not_found").containsEntry("status", 404);
    }

    @Test
    void theSameCallerGetsItsCachedLeaseUntilRefreshAndOthersCannotTouchIt() {
        String first = given().header("Authorization", bearer("app")).post(ISSUE_PATH).then().statusCode(200).extract().path("lease_id");
        String second = given().header("Authorization", bearer("app")).post(ISSUE_PATH).then().statusCode(200).extract().path("lease_id");
        assertThat(second).isEqualTo(first);

        // Another identity may not revoke it (and learns nothing about whether it exists) ...
        given().header("Authorization", bearer("capped")).contentType(ContentType.JSON).body(Map.of("lease_id", first))
                .post("/v1/leases/revoke").then().statusCode(404).body("code", equalTo("LEASE_NOT_FOUND"));
        // ... while an admin of the path may.
        given().header("Authorization", bearer("admin")).contentType(ContentType.JSON).body(Map.of("lease_id", first))
                .post("/v1/leases/revoke").then().statusCode(204);
        String third = given().header("Authorization", bearer("app")).post(ISSUE_PATH).then().statusCode(200).extract().path("lease_id");
        assertThat(third).isNotEqualTo(first);
    }

    @Test
    void readsKvV2LatestAndEarlierVersions() {
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200).body("data.api_key", equalTo("second-version")).body("version", equalTo("2"));
        given().header("Authorization", bearer("app")).queryParam("version", "1").get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200).body("data.api_key", equalTo("first-version")).body("version", equalTo("1"));
    }

    @Test
    void perIdentityLeaseCapIsEnforced() {
        String path = "/v1/creds/openbao/database/creds/" + OpenBaoResource.ROLE_CAP;
        for (int i = 0; i < 3; i++) {
            String lease = given().header("Authorization", bearer("capped")).post(path).then().statusCode(200).extract().path("lease_id");
            // Renewing moves the caller off its cached lease, so the next issue makes a new one while this stays live.
            given().header("Authorization", bearer("capped")).contentType(ContentType.JSON).body(Map.of("lease_id", lease))
                    .post("/v1/leases/renew").then().statusCode(200);
        }
        given().header("Authorization", bearer("capped")).post(path)
                .then().statusCode(429).contentType("application/problem+json").body("code", equalTo("LEASE_LIMIT_EXCEEDED"));
    }

    private Map<String, Object> single(String requestId) {
        List<Map<String, Object>> rows = audit.rowsFor(requestId);
        assertThat(rows).as("audit rows for " + requestId).hasSize(1);
        return rows.getFirst();
    }

    private boolean canLogIn(String username, String password) {
        String url = "jdbc:postgresql://127.0.0.1:" + database.port() + "/postgres";
        try (Connection c = DriverManager.getConnection(url, username, password);
             ResultSet rs = c.createStatement().executeQuery("select current_user")) {
            rs.next();
            return rs.getString(1).equals(username);
        } catch (SQLException e) {
            return false;
        }
    }
}
