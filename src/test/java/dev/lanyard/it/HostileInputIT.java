package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Callers who are not allowed, and input that is not well formed: clear 4xx problems, audited, never a 5xx. */
@QuarkusTest
@QuarkusTestResource(value = LanyardPeers.class, restrictToAnnotatedClass = false)
class HostileInputIT {

    @TestHTTPResource("/")
    URL root;

    private static String bearer(String name) {
        return "Bearer " + LanyardPeers.current().token(name);
    }

    @Test
    void callerWithoutPolicyIsDeniedAndAudited() {
        String requestId = "it-denied-" + UUID.randomUUID();
        given().header("Authorization", bearer("nobody")).header("X-Request-Id", requestId)
                .post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(403).contentType("application/problem+json")
                .body("code", equalTo("ACCESS_DENIED")).body("status", equalTo(403)).body("request_id", equalTo(requestId));
        List<Map<String, Object>> rows = Audit.rowsFor(requestId);
        assertThat(rows).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("subject", "token:nobody").containsEntry("outcome", "denied").containsEntry("status", 403));
    }

    @Test
    void missingForgedOrMalformedTokensGet401AndAreAudited() {
        String realToken = LanyardPeers.current().token("app");
        String forged = realToken.substring(0, realToken.length() - 4) + (realToken.endsWith("AAAA") ? "BBBB" : "AAAA");
        for (String header : new String[] {null, "Bearer " + forged, "Bearer not-a-token", "Basic dXNlcjpwYXNz",
                "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}) {
            String requestId = "it-unauth-" + UUID.randomUUID();
            var request = given().header("X-Request-Id", requestId);
            if (header != null) {
                request.header("Authorization", header);
            }
            request.get("/v1/secrets/openbao/secret/payments/config")
                    .then().statusCode(401).contentType("application/problem+json")
                    .header("WWW-Authenticate", equalTo("Bearer realm=\"lanyard\""))
                    .body("code", equalTo("UNAUTHENTICATED"));
            assertThat(Audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                    .containsEntry("subject", "anonymous").containsEntry("outcome", "unauthenticated"));
        }
    }

    @Test
    void aRevokedApiTokenStopsWorkingOnceItsCacheEntryExpires() {
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        // Revoked behind this replica's back (as another replica would): its cached verification lasts the cache TTL.
        Audit.execute("update api_token set revoked_at = now() where name = 'revocable'");
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        MovableClock.advance(Duration.ofMillis(2_100)); // lanyard.auth.token-cache-ttl is 2s in the tests
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    void unknownRoutesNeedAuthenticationToo() {
        given().get("/v1/does-not-exist").then().statusCode(401);
        given().header("Authorization", bearer("app")).get("/v1/does-not-exist")
                .then().statusCode(404).contentType("application/problem+json").body("code", equalTo("NOT_FOUND"));
    }

    @Test
    void missingSecretVersionOrBackendIs404() {
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/nothing-here")
                .then().statusCode(404).body("code", equalTo("SECRET_NOT_FOUND"));
        given().header("Authorization", bearer("app")).queryParam("version", "99").get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(404).body("code", equalTo("SECRET_NOT_FOUND"));
        given().header("Authorization", bearer("admin")).get("/v1/secrets/nowhere/x")
                .then().statusCode(403);
    }

    @Test
    void malformedBodiesGet400AndNothingHappens() {
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON).body("{\"lease_id\": ")
                .post("/v1/leases/revoke").then().statusCode(400).contentType("application/problem+json")
                .body("code", equalTo("MALFORMED_BODY"));
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON)
                .body(Map.of("lease_id", "database/creds/app/x", "surprise", true))
                .post("/v1/leases/revoke").then().statusCode(400).body("code", equalTo("UNKNOWN_FIELD"));
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON).body(Map.of("increment", 5))
                .post("/v1/leases/renew").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON).body(Map.of("lease_id", "x", "increment", -5))
                .post("/v1/leases/renew").then().statusCode(400).body("code", equalTo("INVALID_REQUEST"));
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON).body("[1,2,3]")
                .post("/v1/leases/renew").then().statusCode(400);
        given().header("Authorization", bearer("app")).queryParam("version", "banana")
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(400).body("code", equalTo("INVALID_PATH"));
    }

    @Test
    void readingADynamicCredsPathDoesNotIssueAnUntrackedCredential() {
        int before = openBaoLeases("app");
        given().header("Authorization", bearer("admin")).get("/v1/secrets/openbao/database/creds/app")
                .then().statusCode(422).contentType("application/problem+json").body("code", equalTo("OPERATION_NOT_SUPPORTED"));
        assertThat(openBaoLeases("app")).isEqualTo(before);
    }

    private static int openBaoLeases(String role) {
        try {
            return io.restassured.path.json.JsonPath.from(LanyardPeers.current().openBao()
                    .cli("list", "-format=json", "sys/leases/lookup/database/creds/" + role)).getList("$").size();
        } catch (IllegalStateException noLeasesListed) {
            return 0;
        }
    }

    @Test
    void oversizedBodiesAreRefused() {
        String huge = "{\"lease_id\":\"" + "x".repeat(64 * 1024) + "\"}";
        given().header("Authorization", bearer("app")).contentType(ContentType.JSON).body(huge)
                .post("/v1/leases/revoke").then().statusCode(413);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "v1/secrets/openbao/secret/payments/../../sys/raw",
            "v1/secrets/openbao/secret/%2E%2E/sys",
            "v1/secrets/openbao/secret%2Fpayments%2Fconfig",
            "v1/secrets/openbao/secret/payments%2fconfig",
            "v1/secrets/openbao//secret/payments/config",
            "v1/secrets/openbao/secret/./payments/config",
            "v1/secrets/openbao/secret/payments%5Cconfig",
            "v1/creds/openbao/database/creds/app%00"})
    void pathTraversalAndEncodedSeparatorsAreRefused(String path) throws Exception {
        HttpResponse<String> response = raw("GET", path, null);
        assertThat(response.statusCode()).as(path).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("INVALID_PATH").doesNotContain("Exception").doesNotContain("at dev.");
    }

    /** Sends the path exactly as written: no client-side normalisation or re-encoding. */
    private HttpResponse<String> raw(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(root.toString() + path))
                .header("Authorization", bearer("admin"))
                .header("Content-Type", "application/json");
        builder.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HttpClient.newHttpClient().send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }
}
