package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The AWS backend through the whole service, against moto: secrets from Secrets Manager by version id, stage and
 * property, STS credentials for a caller whose policy allows the role, and the refusals, each audited without a value.
 */
@QuarkusTest
@RealPeers
@QuarkusTestResource(value = MotoResource.class, restrictToAnnotatedClass = true)
class AwsBrokerIT {

    private static final String DB = "/v1/secrets/aws/app/db";

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    MotoResource.AwsPeer aws;

    @Test
    void readsTheCurrentVersionAnOlderOneByIdOrStageAndOneProperty() {
        String first = aws.appDbVersions().get(0);
        String second = aws.appDbVersions().get(1);
        String requestId = "it-aws-read-" + UUID.randomUUID();
        ExtractableResponse<Response> current = given().header("Authorization", callers.bearer("app")).header("X-Request-Id", requestId)
                .get(DB).then().statusCode(200).contentType(ContentType.JSON).extract();
        assertThat(current.<String>path("data.password")).isEqualTo("second-password");
        assertThat(current.<String>path("version")).isEqualTo(second);
        assertThat(Instant.parse(current.path("refresh_after"))).isBefore(Instant.parse(current.path("expires_at")));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "read").containsEntry("outcome", "success").containsEntry("backend", "aws")
                .containsEntry("path", "app/db").containsEntry("version", second));

        given().header("Authorization", callers.bearer("app")).queryParam("version", first).get(DB)
                .then().statusCode(200).body("data.password", equalTo("first-password")).body("version", equalTo(first));
        given().header("Authorization", callers.bearer("app")).queryParam("stage", "previous").get(DB)
                .then().statusCode(200).body("version", equalTo(first));
        given().header("Authorization", callers.bearer("app")).queryParam("property", "username").get(DB)
                .then().statusCode(200).body("data", equalTo(Map.of("username", "app"))).body("version", equalTo(second));
    }

    @Test
    void aBinarySecretIsBase64AndAPlainStringIsItsValueField() {
        String keystore = given().header("Authorization", callers.bearer("app")).get("/v1/secrets/aws/app/keystore")
                .then().statusCode(200).extract().path("data.binary");
        assertThat(Base64.getDecoder().decode(keystore)).containsExactly(0, 1, 2, (byte) 0xfe);
        given().header("Authorization", callers.bearer("app")).get("/v1/secrets/aws/app/api-token")
                .then().statusCode(200).body("data.value", equalTo("plain-api-token"));
    }

    @Test
    void missingSecretsStagesAndPropertiesAreNotFoundAndBadSelectorsAre400() {
        problem(given().header("Authorization", callers.bearer("app")).get("/v1/secrets/aws/app/nothing-here"), 404, "SECRET_NOT_FOUND");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("stage", "pending").get(DB), 404, "SECRET_NOT_FOUND");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("property", "nope").get(DB), 404, "SECRET_NOT_FOUND");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("property", "a/b").get(DB), 400, "INVALID_QUERY");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("version", aws.appDbVersions().get(0))
                .queryParam("stage", "previous").get(DB), 400, "INVALID_QUERY");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("version", "not-a-uuid").get(DB), 400, "INVALID_PATH");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("stage", "AWSCURRENT").get(DB), 400, "INVALID_PATH");
        problem(given().header("Authorization", callers.bearer("app")).queryParam("stage", "no spaces").get(DB), 400, "INVALID_PATH");
        for (var row : audit.allRows()) {
            assertThat(row.values().toString()).doesNotContain("second-password").doesNotContain("first-password");
        }
    }

    @Test
    void aServiceAccountGetsStsCredentialsInASessionNamedAfterIt() {
        String token = callers.serviceAccountToken("payments", "api", "lanyard");
        String requestId = "it-aws-sts-" + UUID.randomUUID();
        ExtractableResponse<Response> issued = given().header("Authorization", "Bearer " + token).header("X-Request-Id", requestId)
                .post("/v1/creds/aws/sts/deployer").then().statusCode(200).contentType(ContentType.JSON).extract();
        Map<String, String> data = issued.path("data");
        assertThat(data).containsOnlyKeys("access_key_id", "secret_access_key", "session_token");
        assertThat(issued.<String>path("lease_id")).as("STS credentials have no lease id").isNull();
        Instant expiresAt = Instant.parse(issued.path("expires_at"));
        assertThat(Duration.between(Instant.now(), expiresAt)).as("the configured 20 minutes, bounded")
                .isPositive().isLessThanOrEqualTo(Duration.ofMinutes(20));
        assertThat(Instant.parse(issued.path("refresh_after"))).isBefore(expiresAt);

        try (var http = UrlConnectionHttpClient.create();
             StsClient asIssued = StsClient.builder().httpClient(http).region(Region.US_EAST_1).endpointOverride(aws.server().endpoint())
                     .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                             data.get("access_key_id"), data.get("secret_access_key"), data.get("session_token"))))
                     .build()) {
            assertThat(asIssued.getCallerIdentity().arn()).isEqualTo("arn:aws:sts::123456789012:assumed-role/deployer/sa-payments-api");
        }
        assertThat(given().header("Authorization", "Bearer " + token).post("/v1/creds/aws/sts/deployer")
                .then().statusCode(200).extract().<String>path("data.access_key_id"))
                .as("cached for the caller, like any issued credential").isEqualTo(data.get("access_key_id"));

        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("subject", "sa:payments/api").containsEntry("operation", "issue").containsEntry("outcome", "success")
                .containsEntry("backend", "aws").containsEntry("path", "sts/deployer"));
        for (var row : audit.allRows()) {
            assertThat(row.values().toString()).doesNotContain(data.get("session_token")).doesNotContain(data.get("secret_access_key"));
        }
    }

    @Test
    void aRoleThePolicyDoesNotAllowIsRefusedAndAudited() {
        String requestId = "it-aws-sts-denied-" + UUID.randomUUID();
        problem(given().header("Authorization", callers.bearer("app")).header("X-Request-Id", requestId)
                .post("/v1/creds/aws/sts/auditor"), 403, "ACCESS_DENIED");
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "issue").containsEntry("outcome", "denied").containsEntry("path", "sts/auditor"));
    }

    @Test
    void stsCredentialsCannotBeRenewedOrRevoked() {
        String accessKey = given().header("Authorization", callers.bearer("app")).post("/v1/creds/aws/sts/deployer")
                .then().statusCode(200).extract().path("data.access_key_id");
        for (String operation : new String[] {"renew", "revoke"}) {
            problem(given().header("Authorization", callers.bearer("app")).contentType(ContentType.JSON)
                    .body(Map.of("lease_id", accessKey)).post("/v1/leases/" + operation), 404, "LEASE_NOT_FOUND");
        }
    }

    private static void problem(Response response, int status, String code) {
        response.then().statusCode(status).contentType("application/problem+json").body("code", equalTo(code));
    }
}
