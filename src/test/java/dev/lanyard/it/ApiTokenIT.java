package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.equalTo;

import dev.lanyard.auth.ApiTokenService;
import dev.lanyard.auth.ApiTokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** API tokens through the administrators' API: issue, use, list, revoke for good; and bootstrap tokens across restarts. */
@QuarkusTest
@RealPeers
class ApiTokenIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    EmbeddedDatabase database;

    @Inject
    ApiTokenService tokens;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    /**
     * A grant meant for cleaning up leases everywhere ({@code **}, renew, revoke, lease:admin) used to mint tokens for
     * any name, list them, revoke the real ones and archive the audit log. It reaches none of Lanyard's own namespaces.
     */
    @Test
    void aLeaseCleanupGrantOnEverythingCannotMintListOrRevokeTokensNorTouchTheAuditLog() {
        given().header("Authorization", bearer("ops")).contentType(ContentType.JSON).body(Map.of("name", "security"))
                .post("/v1/tokens").then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));
        given().header("Authorization", bearer("ops")).get("/v1/tokens").then().statusCode(403);
        given().header("Authorization", bearer("ops")).get("/v1/audit/events").then().statusCode(403);
        given().header("Authorization", bearer("ops")).queryParam("up_to_seq", 1).post("/v1/audit/archive").then().statusCode(403);
        given().header("Authorization", bearer("ops")).post("/v1/audit/checkpoints").then().statusCode(403);
        String adminsId = tokenIdOf("admin");
        String refused = given().header("Authorization", bearer("ops")).delete("/v1/tokens/" + adminsId)
                .then().statusCode(403).body("code", equalTo("ACCESS_DENIED")).extract().asString();
        assertThat(refused).as("the refusal names no token").doesNotContain("tokens/admin").doesNotContain(adminsId);
        given().header("Authorization", bearer("admin")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
    }

    /**
     * A token administrator of st-* tokens sees and manages only those: a token it may not manage answers exactly as
     * an id that does not exist, and names nothing.
     */
    @Test
    void tokensTheCallerMayNotManageLookLikeTokensThatDoNotExist() {
        String requestId = "it-token-foreign-" + UUID.randomUUID();
        String adminsId = tokenIdOf("admin");
        String foreign = given().header("Authorization", bearer("minter")).header("X-Request-Id", requestId)
                .delete("/v1/tokens/" + adminsId).then().statusCode(404).extract().asString();
        String unknown = given().header("Authorization", bearer("minter")).delete("/v1/tokens/0123456789abcdef")
                .then().statusCode(404).extract().asString();
        assertThat(foreign).doesNotContain("admin");
        assertThat(JsonPath.from(foreign).getString("detail")).isEqualTo(JsonPath.from(unknown).getString("detail"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", 404).containsEntry("error_code", "TOKEN_NOT_FOUND"));

        String mine = given().header("Authorization", bearer("minter")).contentType(ContentType.JSON)
                .body(Map.of("name", "st-" + UUID.randomUUID().toString().substring(0, 8))).post("/v1/tokens")
                .then().statusCode(201).extract().jsonPath().getString("id");
        List<String> listed = given().header("Authorization", bearer("minter")).get("/v1/tokens").then().statusCode(200)
                .extract().jsonPath().getList("tokens.name");
        assertThat(listed).isNotEmpty().allSatisfy(name -> assertThat(name).startsWith("st-"));
        given().header("Authorization", bearer("minter")).contentType(ContentType.JSON).body(Map.of("name", "security"))
                .post("/v1/tokens").then().statusCode(403);
        given().header("Authorization", bearer("minter")).delete("/v1/tokens/" + mine).then().statusCode(204);
    }

    private String tokenIdOf(String name) {
        String token = callers.token(name);
        return token.substring("lyt_".length(), token.indexOf('_', "lyt_".length()));
    }

    @Test
    void anAdministratorIssuesAToken_itWorksAtOnce_andRevokingItIsFinal() throws Exception {
        String requestId = "it-token-issue-" + UUID.randomUUID();
        JsonPath issued = given().header("Authorization", bearer("admin")).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(Map.of("name", "deployer-" + UUID.randomUUID().toString().substring(0, 8)))
                .post("/v1/tokens").then().statusCode(201).extract().jsonPath();
        String token = issued.getString("token");
        String id = issued.getString("id");
        assertThat(token).startsWith("lyt_" + id + "_");
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "token.issue").containsEntry("status", 201).containsEntry("outcome", "success"));
        assertThat(audit.allRows().toString()).doesNotContain(token.substring(token.lastIndexOf('_') + 1));

        // Authenticated at once (no policy binds it yet, so it may do nothing: 403, not 401).
        given().header("Authorization", "Bearer " + token).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));

        List<Map<String, Object>> listed = given().header("Authorization", bearer("admin")).get("/v1/tokens")
                .then().statusCode(200).extract().jsonPath().getList("tokens");
        assertThat(listed).anySatisfy(t -> assertThat(t).containsEntry("id", id).containsEntry("created_by", "token:admin")
                .doesNotContainKey("token"));
        assertThat(listed.toString()).doesNotContain(token);

        String revokeId = "it-token-revoke-" + UUID.randomUUID();
        given().header("Authorization", bearer("admin")).header("X-Request-Id", revokeId).delete("/v1/tokens/" + id)
                .then().statusCode(204);
        assertThat(audit.rowsFor(revokeId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "token.revoke").containsEntry("status", 204));
        given().header("Authorization", "Bearer " + token).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(401);
        given().header("Authorization", bearer("admin")).delete("/v1/tokens/" + id)
                .then().statusCode(404).body("code", equalTo("TOKEN_NOT_FOUND"));
        // Not even the database role the service runs as can bring it back.
        try (Connection app = database.app()) {
            assertThatThrownBy(() -> app.createStatement().execute("update api_token set revoked_at = null where id = '" + id + "'"))
                    .hasMessageContaining("revocation is final");
        }
    }

    @Test
    void aTokenWithATimeToLiveStopsWorkingWhenItExpires() {
        String token = given().header("Authorization", bearer("admin")).contentType(ContentType.JSON)
                .body(Map.of("name", "short-lived", "ttl_seconds", 60)).post("/v1/tokens")
                .then().statusCode(201).extract().path("token");
        given().header("Authorization", "Bearer " + token).get("/v1/tokens").then().statusCode(403);
        MovableClock.advance(Duration.ofSeconds(61));
        given().header("Authorization", "Bearer " + token).get("/v1/tokens").then().statusCode(401);
    }

    @Test
    void onlyAdministratorsManageTokensAndEveryRefusalIsAudited() {
        String requestId = "it-token-denied-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).contentType(ContentType.JSON)
                .body(Map.of("name", "sneaky")).post("/v1/tokens").then().statusCode(403).body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "token.issue").containsEntry("outcome", "denied"));
        given().header("Authorization", bearer("app")).get("/v1/tokens").then().statusCode(403);
        given().header("Authorization", bearer("app")).delete("/v1/tokens/0123456789abcdef").then().statusCode(403);
        given().header("Authorization", bearer("admin")).contentType(ContentType.JSON).body(Map.of("name", "no spaces"))
                .post("/v1/tokens").then().statusCode(400);
        given().header("Authorization", bearer("admin")).delete("/v1/tokens/not-an-id").then().statusCode(400);
    }

    @Test
    void aRevokedBootstrapTokenStaysRevokedWhenTheServiceStartsAgain_andANewValueReplacesIt() throws Throwable {
        String original = callers.token("rotating");
        String id = original.substring(4, 20);
        assertThat(VertxContextSupport.subscribeAndAwait(() -> tokens.bootstrap("rotating", original)))
                .isIn(ApiTokenService.Bootstrap.UNCHANGED, ApiTokenService.Bootstrap.REVOKED);
        given().header("Authorization", bearer("admin")).delete("/v1/tokens/" + id).then().statusCode(204);

        // What start-up does with the unchanged configuration: the token stays revoked.
        assertThat(VertxContextSupport.subscribeAndAwait(() -> tokens.bootstrap("rotating", original)))
                .isEqualTo(ApiTokenService.Bootstrap.REVOKED);
        given().header("Authorization", "Bearer " + original).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(401);

        // Rotating it is configuring a new value: that one works, and it revokes the name's older bootstrap tokens.
        String rotated = ApiTokens.generate(new SecureRandom());
        assertThat(VertxContextSupport.subscribeAndAwait(() -> tokens.bootstrap("rotating", rotated)))
                .isIn(ApiTokenService.Bootstrap.CREATED, ApiTokenService.Bootstrap.REPLACED);
        given().header("Authorization", "Bearer " + rotated).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200);
    }
}
