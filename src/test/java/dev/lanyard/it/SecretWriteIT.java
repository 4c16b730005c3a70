package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Writes through Lanyard into OpenBao's KV v2: a new current version that the very next read serves (the cache of
 * the old one is dropped), refusals before the backend for callers and paths that may not be written, and one audit
 * row per request that names the version and never the value.
 */
@QuarkusTest
@RealPeers
class SecretWriteIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    private String path() {
        return "/v1/secrets/openbao/secret/written/" + UUID.randomUUID();
    }

    @Test
    void aWriteBecomesTheVersionTheNextReadServesEvenWhenTheOldOneWasCached() {
        String path = path();
        String first = write(path, Map.of("api_key", "written-one"), 200).path("version");
        assertThat(read(path)).isEqualTo("written-one");

        String requestId = "it-write-" + UUID.randomUUID();
        String second = given().header("Authorization", callers.bearer("writer")).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(Map.of("data", Map.of("api_key", "written-two")))
                .when().put(path)
                .then().statusCode(200).contentType(ContentType.JSON).extract().path("version");

        assertThat(Integer.parseInt(second)).isEqualTo(Integer.parseInt(first) + 1);
        assertThat(read(path)).as("the cached first version was dropped by the write").isEqualTo("written-two");
        assertThat(openBao.cli("kv", "get", "-field=api_key", path.substring("/v1/secrets/openbao/".length())).strip())
                .isEqualTo("written-two");
        assertThat(audit.single(requestId)).containsEntry("operation", "write").containsEntry("outcome", "success")
                .containsEntry("status", 200).containsEntry("version", second);
        for (Map<String, Object> row : audit.allRows()) {
            assertThat(row.values().toString()).doesNotContain("written-one").doesNotContain("written-two");
        }
    }

    @Test
    void aCallerWithoutWriteOnThePathIsRefusedAndAudited() {
        String requestId = "it-write-denied-" + UUID.randomUUID();
        given().header("Authorization", callers.bearer("app")).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(Map.of("data", Map.of("api_key", "never")))
                .when().put("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(403).contentType("application/problem+json").body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.single(requestId)).containsEntry("operation", "write").containsEntry("status", 403);
        assertThat(openBao.cli("kv", "get", "-field=api_key", "secret/payments/config").strip()).isEqualTo("second-version");
    }

    @Test
    void aPathThatIsNotAKeyValueSecretCannotBeWritten() {
        String requestId = "it-write-creds-" + UUID.randomUUID();
        given().header("Authorization", callers.bearer("writer")).header("X-Request-Id", requestId)
                .contentType(ContentType.JSON).body(Map.of("data", Map.of("username", "x")))
                .when().put("/v1/secrets/openbao/database/creds/app")
                .then().statusCode(422).contentType("application/problem+json").body("code", equalTo("OPERATION_NOT_SUPPORTED"));
        assertThat(audit.single(requestId)).containsEntry("operation", "write").containsEntry("status", 422);
    }

    @Test
    void malformedBodiesAreA400WithAStableCodeAndWriteNothing() {
        String path = path();
        for (Object body : List.<Object>of(Map.of(), Map.of("data", Map.of()), Map.of("data", Map.of("n", 7)),
                Map.of("data", List.of("a")), Map.of("data", Map.of("k", "v"), "extra", 1))) {
            given().header("Authorization", callers.bearer("writer")).contentType(ContentType.JSON).body(body)
                    .when().put(path)
                    .then().statusCode(400).contentType("application/problem+json");
        }
        given().header("Authorization", callers.bearer("writer")).get(path)
                .then().statusCode(404).body("code", equalTo("SECRET_NOT_FOUND"));
    }

    private ExtractableResponse<Response> write(
            String path, Map<String, String> data, int status) {
        return given().header("Authorization", callers.bearer("writer")).contentType(ContentType.JSON)
                .body(Map.of("data", data)).when().put(path).then().statusCode(status).extract();
    }

    private String read(String path) {
        return given().header("Authorization", callers.bearer("writer")).get(path)
                .then().statusCode(200).extract().path("data.api_key");
    }
}
