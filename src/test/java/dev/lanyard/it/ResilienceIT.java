package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Lanyard under load and when its peers fail: one backend call per key, no secret without audit, fast failure. */
@QuarkusTest
@TestProfile(OwnPeers.Outage.class)
@RealPeers
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResilienceIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    @InjectPeer("doomed")
    VaultPeer doomed;

    @TestHTTPResource("/")
    URL root;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @Test
    @Order(1)
    void twoHundredConcurrentRequestsForOneRoleMakeOneBackendCall() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(root + "v1/creds/openbao/database/creds/" + OpenBaoResource.ROLE_FLIGHT))
                .header("Authorization", bearer("flight"))
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        List<CompletableFuture<HttpResponse<String>>> calls = IntStream.range(0, 200)
                .mapToObj(i -> client.sendAsync(request, HttpResponse.BodyHandlers.ofString())).toList();
        List<HttpResponse<String>> responses = calls.stream().map(CompletableFuture::join).toList();

        assertThat(responses).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(200));
        assertThat(responses.stream().map(r -> io.restassured.path.json.JsonPath.from(r.body()).getString("lease_id")).distinct())
                .hasSize(1);
        // The backend's own view: OpenBao holds exactly one lease for the role.
        String leases = openBao.cli("list", "-format=json",
                "sys/leases/lookup/database/creds/" + OpenBaoResource.ROLE_FLIGHT);
        assertThat(io.restassured.path.json.JsonPath.from(leases).getList("$")).hasSize(1);
        assertThat(audit.query("select count(*) as n from audit_event where subject = 'token:flight' and operation = 'issue'"))
                .singleElement().satisfies(row -> assertThat(row.get("n")).isEqualTo(200L));
    }

    @Test
    @Order(2)
    void noSecretLeavesWhenTheAuditLogCannotRecord() {
        audit.execute("revoke insert on audit_event from lanyard_app");
        try {
            String requestId = "it-audit-down-" + UUID.randomUUID();
            String body = given().header("Authorization", bearer("app")).header("X-Request-Id", requestId)
                    .get("/v1/secrets/openbao/secret/payments/config")
                    .then().statusCode(503).contentType("application/problem+json")
                    .body("code", equalTo("AUDIT_UNAVAILABLE")).extract().asString();
            assertThat(body).doesNotContain("second-version").doesNotContain("api_key");
            given().header("Authorization", bearer("app")).post("/v1/creds/openbao/database/creds/app")
                    .then().statusCode(503).body("code", equalTo("AUDIT_UNAVAILABLE")).body("$", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasKey("data")));
            assertThat(audit.rowsFor(requestId)).isEmpty();
        } finally {
            audit.execute("grant insert on audit_event to lanyard_app");
        }
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200);
    }

    @Test
    @Order(4)
    void whenOpenBaoGoesDownReadinessSaysWhyAndRequestsFailFast() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        doomed.cli("kv", "put", "secret/read-before", "k=last-good");
        given().header("Authorization", bearer("app")).get("/v1/secrets/doomed/secret/read-before")
                .then().statusCode(200).body("stale", nullValue());

        doomed.stop();

        // Past its cache window, a value read before the outage is served stale (within stale-if-error), and says so.
        MovableClock.advance(Duration.ofSeconds(61));
        given().header("Authorization", bearer("app")).header("X-Request-Id", "stale-read")
                .get("/v1/secrets/doomed/secret/read-before")
                .then().statusCode(200).body("data.k", equalTo("last-good")).body("stale", equalTo(true))
                .body("refresh_after", notNullValue());
        Map<String, Object> staleRow = audit.single("stale-read");
        assertThat(staleRow.get("outcome")).isEqualTo("stale");
        assertThat(staleRow.get("status")).isEqualTo(200);
        assertThat(staleRow.get("error_code")).isEqualTo("BACKEND_UNAVAILABLE");

        given().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"))
                .body("checks.find { it.name == 'backends' }.data.doomed", startsWith("DOWN: connection refused"))
                .body("checks.find { it.name == 'backends' }.data.openbao", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200);

        // A socket timeout on the client turns a hang into a failure of this test.
        RestAssuredConfig bounded = RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.socket.timeout", 15_000).setParam("http.connection.timeout", 5_000));
        for (int i = 0; i < 12; i++) {
            given().config(bounded).header("Authorization", bearer("app")).get("/v1/secrets/doomed/secret/anything")
                    .then().statusCode(503).contentType("application/problem+json").body("code", equalTo("BACKEND_UNAVAILABLE"));
        }
        // The circuit opened: after the rolling window's failures, calls fail fast without trying the dead backend.
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(callsTo(metrics, "doomed", "circuit_open")).as("calls failed fast by the open circuit").isPositive();
        assertThat(callsTo(metrics, "doomed", "BackendUnavailable")).as("calls that reached the dead backend")
                .isLessThan(12);
        // The healthy backend is unaffected by the other one's open circuit.
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
    }

    /** lanyard_backend_call_seconds_count for one backend and outcome, summed over operations. */
    private double callsTo(String metrics, String backend, String outcome) {
        return metrics.lines()
                .filter(line -> line.startsWith("lanyard_backend_call_seconds_count{") && line.contains("backend=\"" + backend + "\"")
                        && line.contains("outcome=\"" + outcome + "\""))
                // The value follows the labels; with tracing on, an exemplar and its timestamp may follow the value.
                .mapToDouble(line -> Double.parseDouble(line.substring(line.indexOf("} ") + 2).split(" ")[0]))
                .sum();
    }

    @Test
    @Order(5)
    void metricsShowCacheAndBackendCalls() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("lanyard_cache_requests_total").contains("lanyard_backend_call_seconds_count")
                .contains("http_server_requests_seconds_count");
        assertThat(metrics).doesNotContain(callers.token("app"));
    }
}
