package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import dev.lanyard.access.AuditedAccess;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Callers who are not allowed, and input that is not well formed: clear 4xx problems, audited, never a 5xx. */
@QuarkusTest
@RealPeers
class HostileInputIT {

    @Inject
    AuditedAccess audited;

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    /** Edge refusals happen before authentication, so they count against this address's budget, not 127.0.0.1's. */
    private static final String EDGE_CLIENT = "127.0.0.8";
    /** Paths that become the Vault-compatible API's only once decoded: refusals with a budget of their own. */
    private static final String VAULT_EDGE_CLIENT = "127.0.0.42";

    @TestHTTPResource("/")
    URL root;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @Test
    void callerWithoutPolicyIsDeniedAndAudited() {
        String requestId = "it-denied-" + UUID.randomUUID();
        given().header("Authorization", bearer("nobody")).header("X-Request-Id", requestId)
                .post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(403).contentType("application/problem+json")
                .body("code", equalTo("ACCESS_DENIED")).body("status", equalTo(403)).body("request_id", equalTo(requestId));
        List<Map<String, Object>> rows = audit.rowsFor(requestId);
        assertThat(rows).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("subject", "token:nobody").containsEntry("outcome", "denied").containsEntry("status", 403));
    }

    @Test
    void missingForgedOrMalformedTokensGet401AndAreAudited() {
        String realToken = callers.token("app");
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
            assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                    .containsEntry("subject", "anonymous").containsEntry("outcome", "unauthenticated"));
        }
    }

    @Test
    void aRevokedApiTokenStopsWorkingOnceItsCacheEntryExpires() {
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        // Revoked behind this replica's back (as another replica would): its cached verification lasts the cache TTL.
        audit.execute("update api_token set revoked_at = now() where name = 'revocable'");
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        MovableClock.advance(Duration.ofMillis(2_100)); // lanyard.auth.token-cache-ttl is 2s in the tests
        given().header("Authorization", bearer("revocable")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    void jsonAnswersAndProblemsEndWithANewline() {
        String answer = given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(200).extract().asString();
        String problem = given().header("Authorization", bearer("nobody")).get("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(403).extract().asString();
        assertThat(answer).startsWith("{").endsWith("}\n");
        assertThat(problem).startsWith("{").endsWith("}\n");
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
        // admin may read nowhere/**, so the policy check passes and the missing backend is what answers.
        String requestId = "it-nobackend-" + UUID.randomUUID();
        given().header("Authorization", bearer("admin")).header("X-Request-Id", requestId).get("/v1/secrets/nowhere/x")
                .then().statusCode(404).contentType("application/problem+json").body("code", equalTo("BACKEND_NOT_FOUND"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", 404).containsEntry("error_code", "BACKEND_NOT_FOUND").containsEntry("backend", "nowhere"));
    }

    @Test
    void malformedBodiesGet400AndNothingHappens() {
        String leaseId = given().header("Authorization", bearer("app")).post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(200).extract().path("lease_id");
        List<Map<String, Object>> leasesBefore = audit.query("select * from lease order by fingerprint");
        int openBaoBefore = openBaoLeases("app");
        Map<String, String[]> bodies = new LinkedHashMap<>();
        bodies.put("{\"lease_id\": \"" + leaseId + "\"", new String[] {"/v1/leases/revoke", "MALFORMED_BODY"});
        bodies.put("{\"lease_id\": \"" + leaseId + "\", \"surprise\": true}", new String[] {"/v1/leases/revoke", "UNKNOWN_FIELD"});
        bodies.put("{\"increment\": 5}", new String[] {"/v1/leases/renew", "INVALID_REQUEST"});
        bodies.put("{\"lease_id\": \"" + leaseId + "\", \"increment\": -5}", new String[] {"/v1/leases/renew", "INVALID_REQUEST"});
        bodies.put("[\"" + leaseId + "\"]", new String[] {"/v1/leases/renew", "MALFORMED_BODY"});
        bodies.put("{\"lease_id\": \"" + leaseId + "\", \"increment\": 1, \"increment\": -5}",
                new String[] {"/v1/leases/renew", "DUPLICATE_FIELD"});
        bodies.put("{\"lease_id\": \"nothing\", \"lease_id\": \"" + leaseId + "\"}", new String[] {"/v1/leases/revoke", "DUPLICATE_FIELD"});
        bodies.forEach((body, expected) -> {
            String requestId = "it-malformed-" + UUID.randomUUID();
            given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).contentType(ContentType.JSON)
                    .body(body).post(expected[0])
                    .then().statusCode(400).contentType("application/problem+json").body("code", equalTo(expected[1]));
            assertThat(audit.rowsFor(requestId)).as(body).singleElement().satisfies(row -> assertThat(row)
                    .containsEntry("status", 400).containsEntry("error_code", expected[1]).containsEntry("subject", "token:app"));
        });
        String versionRequest = "it-version-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", versionRequest).queryParam("version", "banana")
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(400).body("code", equalTo("INVALID_PATH"));
        assertThat(audit.rowsFor(versionRequest)).as("one request, one row").hasSize(1);
        assertThat(audit.query("select * from lease order by fingerprint")).as("no lease issued, renewed or revoked")
                .isEqualTo(leasesBefore);
        assertThat(openBaoLeases("app")).isEqualTo(openBaoBefore);
    }

    @Test
    void readingADynamicCredsPathDoesNotIssueAnUntrackedCredential() {
        int before = openBaoLeases("app");
        given().header("Authorization", bearer("admin")).get("/v1/secrets/openbao/database/creds/app")
                .then().statusCode(422).contentType("application/problem+json").body("code", equalTo("OPERATION_NOT_SUPPORTED"));
        assertThat(openBaoLeases("app")).isEqualTo(before);
    }

    private int openBaoLeases(String role) {
        try {
            return JsonPath.from(openBao.cli("list", "-format=json", "sys/leases/lookup/database/creds/" + role)).getList("$").size();
        } catch (IllegalStateException noLeasesListed) {
            return 0;
        }
    }

    @Test
    void oversizedBodiesAreRefusedWithAProblemAndARow() {
        String huge = "{\"lease_id\":\"" + "x".repeat(64 * 1024) + "\"}";
        String requestId = "it-huge-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).contentType(ContentType.JSON).body(huge)
                .post("/v1/leases/revoke").then().statusCode(413).contentType("application/problem+json")
                .body("code", equalTo("BODY_TOO_LARGE"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row).containsEntry("status", 413));
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

    /** One refusal: the status and code sent, problem+json, and exactly one audit row recording that status. */
    private void refusedAndAudited(RawHttp.Answer answer, String requestId, int status, String code) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(status);
        assertThat(answer.header("content-type")).hasValue("application/problem+json");
        assertThat(answer.body()).contains("\"code\":\"" + code + "\"").doesNotContain("Exception");
        assertThat(audit.rowsFor(requestId)).as(requestId).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", status).containsEntry("error_code", code));
    }

    /** {@code count} distinct, short headers. */
    private static String[] padding(int count) {
        return IntStream.range(0, count).mapToObj(i -> "X-Pad-" + i + ": " + i).toArray(String[]::new);
    }

    private RawHttp.Answer rawGet(String target, String requestId, String... headers) {
        return rawGetFrom(EDGE_CLIENT, target, requestId, headers);
    }

    private RawHttp.Answer rawGetFrom(String address, String target, String requestId, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Authorization: " + bearer("admin");
        all[1] = "X-Request-Id: " + requestId;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return RawHttp.send(root.getPort(), address, RawHttp.request("GET " + target + " HTTP/1.1", null, all)).orElseThrow();
    }

    /**
     * The router normalises dot segments, so a path that starts under the operations prefix can land on the API's
     * routes: it is screened (and refused) like any other before anything routes it, never served from /v1.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/q/%2e%2e/v1/secrets/openbao/secret/payments/config",
            "/q/../v1/secrets/openbao/secret/payments/config", "/q/health/../../v1/secrets/openbao/secret/payments/config",
            "/q/%2E%2E/v1/creds/openbao/database/creds/app", "/q/./metrics"})
    void pathsUnderTheOperationsPrefixAreScreenedBeforeRoutingToo(String target) {
        String requestId = "it-qdot-" + UUID.randomUUID();
        RawHttp.Answer answer = rawGet(target, requestId);
        refusedAndAudited(answer, requestId, 400, "INVALID_PATH");
        assertThat(answer.body()).doesNotContain("payments").doesNotContain("backend");
    }

    /** A path that only becomes the Vault API's once something decodes or normalises it is the native API's, and refused. */
    @ParameterizedTest
    @ValueSource(strings = {"/%76ault/v1/secret/data/payments/config", "/v1/%2e%2e/vault/v1/secret/data/payments/config",
            "/v1/../vault/v1/secret/data/payments/config", "/q/../vault/v1/secret/data/payments/config"})
    void pathsThatBecomeTheVaultApiOnlyOnceDecodedAreRefusedAtTheEdge(String target) {
        String requestId = "it-vaultpath-native-" + UUID.randomUUID();
        RawHttp.Answer answer = rawGetFrom(VAULT_EDGE_CLIENT, target, requestId);
        refusedAndAudited(answer, requestId, 400, "INVALID_PATH");
        assertThat(answer.body()).doesNotContain("api_key");
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row.get("detail")).isNotEqualTo("via vault-api"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"subject", "path", "operation", "outcome", "backend", "lease_id", "request_id"})
    void controlCharactersInAnyAuditFilterAre400AndAudited(String filter) {
        for (String control : new String[] {"%00", "%01", "%0a", "%1b", "%7f", "%c2%85", "%e2%80%ae"}) {
            for (String endpoint : new String[] {"/v1/audit/events", "/v1/audit/export"}) {
                String requestId = "it-ctl-" + UUID.randomUUID();
                refusedAndAudited(rawGet(endpoint + "?" + filter + "=a" + control + "b", requestId), requestId, 400, "INVALID_QUERY");
            }
        }
        String requestId = "it-ctl-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/audit/holders?path=openbao/x%00&from=2026-01-01T00:00:00Z", requestId),
                requestId, 400, "INVALID_QUERY");
    }

    @Test
    void backendNamesAreCheckedAtTheEdge() {
        String requestId = "it-backend-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/" + "b".repeat(65) + "/x", requestId), requestId, 400, "INVALID_PATH");
        requestId = "it-backend-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/bad!name/x", requestId), requestId, 400, "INVALID_PATH");
        requestId = "it-backend-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/audit/events?backend=bad%21name", requestId), requestId, 400, "INVALID_QUERY");
    }

    @ParameterizedTest
    @ValueSource(strings = {"%2B1000000000-01-01T00:00:00Z", "-999999999-01-01T00:00:00Z", "10000-01-01T00:00:00Z"})
    void instantsOutsideTheDatabasesRangeAre400(String instant) {
        for (String query : new String[] {"/v1/audit/events?from=", "/v1/audit/export?to=",
                "/v1/audit/holders?path=openbao/secret/payments/config&from="}) {
            String requestId = "it-instant-" + UUID.randomUUID();
            refusedAndAudited(rawGet(query + instant, requestId), requestId, 400, "INVALID_QUERY");
        }
    }

    @Test
    void matrixParametersAndSemicolonsInTheQueryAreRefused() {
        String requestId = "it-matrix-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/openbao/secret/payments/config;x=1", requestId), requestId, 400, "INVALID_PATH");
        requestId = "it-matrix-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/openbao/secret/payments/config?version=1;x=2", requestId), requestId, 400,
                "INVALID_QUERY");
    }

    @Test
    void transportLimitsAnswerProblemsAndAreAudited() {
        String requestId = "it-414-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/openbao/" + "a".repeat(9_000), requestId), requestId, 414, "URI_TOO_LONG");
        requestId = "it-431-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/openbao/secret/payments/config", requestId, "X-Big: " + "a".repeat(20_000)),
                requestId, 431, "HEADERS_TOO_LARGE");
        // The count limit on its own: 100 short headers (about 1.5 KiB, far under the byte limit) are served, a 101st
        // is refused. rawGet sends Host, Connection, Authorization and X-Request-Id besides these.
        assertThat(rawGet("/v1/secrets/openbao/secret/payments/config", "it-100-" + UUID.randomUUID(), padding(96)).status())
                .as("100 headers").isEqualTo(200);
        requestId = "it-431-count-" + UUID.randomUUID();
        refusedAndAudited(rawGet("/v1/secrets/openbao/secret/payments/config", requestId, padding(97)),
                requestId, 431, "HEADERS_TOO_LARGE");
        requestId = "it-413-" + UUID.randomUUID();
        String body = "{\"lease_id\":\"" + "x".repeat(17_000) + "\"}";
        String chunked = Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
        refusedAndAudited(RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request("POST /v1/leases/renew HTTP/1.1", chunked,
                "Authorization: " + bearer("app"), "X-Request-Id: " + requestId, "Content-Type: application/json",
                "Transfer-Encoding: chunked")).orElseThrow(), requestId, 413, "BODY_TOO_LARGE");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz", "-1", "ffffffffffffffffffff"})
    void aMalformedChunkSizeIsAnswered400NotAClosedConnection(String size) throws InterruptedException {
        String requestId = "it-chunk-" + UUID.randomUUID();
        Optional<RawHttp.Answer> answer = RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request("POST /v1/leases/renew HTTP/1.1",
                size + "\r\n{}\r\n0\r\n\r\n", "Authorization: " + bearer("app"), "X-Request-Id: " + requestId,
                "Content-Type: application/json", "Transfer-Encoding: chunked"));
        assertThat(answer).as("an answer, not a closed connection").isPresent();
        assertThat(answer.get().status()).isEqualTo(400);
        assertThat(answer.get().body()).contains("\"code\":\"MALFORMED_BODY\"");
        // The one refusal answered before its row (SECURITY.md): the row follows; wait for it, within bounds.
        List<Map<String, Object>> rows = audit.rowsFor(requestId);
        for (int i = 0; i < 50 && rows.isEmpty(); i++) {
            Thread.sleep(100);
            rows = audit.rowsFor(requestId);
        }
        assertThat(rows).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", 400).containsEntry("error_code", "MALFORMED_BODY"));
    }

    @Test
    void wrongBodyShapesAndDeepNestingAre400AndAudited() {
        for (String body : new String[] {"[1,2,3]", "\"lease\"", "42", "{\"lease_id\": [\"a\"]}", "[".repeat(3000) + "]".repeat(3000)}) {
            String requestId = "it-shape-" + UUID.randomUUID();
            refusedAndAudited(RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request("POST /v1/leases/renew HTTP/1.1", body,
                    "Authorization: " + bearer("app"), "X-Request-Id: " + requestId, "Content-Type: application/json",
                    "Content-Length: " + body.length())).orElseThrow(), requestId, 400, "MALFORMED_BODY");
        }
    }

    @Test
    void optionsWithATokenIsRefusedAndAudited() {
        String requestId = "it-options-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId)
                .options("/v1/secrets/openbao/secret/payments/config")
                .then().statusCode(405).contentType("application/problem+json").body("code", equalTo("METHOD_NOT_ALLOWED"))
                .header("Allow", equalTo("GET, HEAD, PUT"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("status", 405).containsEntry("subject", "token:app"));
        // A path no route has is not found, whatever the method (the REST layer would answer OPTIONS there itself).
        requestId = "it-options-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).options("/v1/rotations/a/b/c/d")
                .then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row).containsEntry("status", 404));
    }

    /**
     * The document is the route table's witness: on every path it declares, every method it does not declare for that
     * path (TRACE and QUERY included) is answered 405, with an Allow header naming exactly the declared methods (and
     * HEAD wherever GET is), after authentication, and audited once with the caller who asked.
     */
    @Test
    void everyDocumentedPathAnswersAnUndocumentedMethod405WithAllow() {
        Map<String, Map<String, Object>> paths = given().get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath().getMap("paths");
        assertThat(paths).hasSizeGreaterThan(20);
        String uuid = UUID.randomUUID().toString();
        for (Map.Entry<String, Map<String, Object>> path : paths.entrySet()) {
            String target = path.getKey().replace("{backend}", "openbao").replace("{path}", "secret/payments/config")
                    .replace("{id}", path.getKey().startsWith("/v1/tokens") ? "0123456789abcdef" : uuid).replace("{run}", uuid);
            TreeSet<String> declared = new TreeSet<>();
            path.getValue().keySet().stream().filter(key -> !key.equals("parameters"))
                    .forEach(method -> declared.add(method.toUpperCase(Locale.ROOT)));
            if (declared.contains("GET")) {
                declared.add("HEAD");
            }
            for (String method : new String[] {"GET", "PUT", "POST", "DELETE", "PATCH", "TRACE", "OPTIONS", "QUERY"}) {
                if (declared.contains(method)) {
                    continue;
                }
                String requestId = "it-405-" + UUID.randomUUID();
                RawHttp.Answer answer = RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request(method + " " + target
                        + " HTTP/1.1", null, "Authorization: " + bearer("admin"), "X-Request-Id: " + requestId)).orElseThrow();
                assertThat(answer.status()).as(method + " " + target).isEqualTo(405);
                assertThat(answer.header("allow")).as(method + " " + target).hasValue(String.join(", ", declared));
                assertThat(answer.body()).contains("\"code\":\"METHOD_NOT_ALLOWED\"");
                assertThat(audit.rowsFor(requestId)).as(method + " " + target).singleElement().satisfies(row -> assertThat(row)
                        .containsEntry("status", 405).containsEntry("subject", "token:admin"));
            }
        }
    }

    @Test
    void anUndeclaredMethodWithoutATokenIsUnauthenticatedFirst() {
        assertThat(RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request("TRACE /v1/leases/renew HTTP/1.1", null))
                .orElseThrow().status()).isEqualTo(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {"PUT", "POST", "DELETE", "TRACE", "PATCH", "OPTIONS", "FOO"})
    void operationsEndpointsServeOnlyGetAndHead(String method) {
        for (String path : new String[] {"/q/health", "/q/health/ready", "/q/metrics", "/q/openapi"}) {
            RawHttp.Answer answer = RawHttp.send(root.getPort(), EDGE_CLIENT, RawHttp.request(method + " " + path + " HTTP/1.1", null))
                    .orElseThrow();
            assertThat(answer.status()).as(method + " " + path).isEqualTo(405);
            assertThat(answer.header("allow")).hasValue("GET, HEAD");
        }
    }

    @Test
    void unmatchedPathsNeverBecomeMetricLabels() {
        for (int i = 0; i < 120; i++) {
            assertThat(RawHttp.send(root.getPort(), "127.0.0.10", RawHttp.request("GET /v1/probe-" + i + "/x HTTP/1.1", null))
                    .orElseThrow().status()).isEqualTo(401);
        }
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).doesNotContain("probe-").contains("uri=\"/UNMATCHED\"");
        given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        assertThat(given().get("/q/metrics").then().extract().asString())
                .as("real routes are still measured after the flood").contains("uri=\"/v1/secrets/{backend}/{path}\"");
    }

    @Test
    void readingThePublicKeyIsAudited() {
        String requestId = "it-key-" + UUID.randomUUID();
        given().header("Authorization", bearer("auditor")).header("X-Request-Id", requestId).get("/v1/audit/public-key")
                .then().statusCode(200).body("algorithm", equalTo("Ed25519"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("operation", "audit.public-key").containsEntry("status", 200));
    }

    @Test
    void exportHonoursRequestIdAndLeaseIdFilters() {
        String requestId = "it-export-" + UUID.randomUUID();
        String leaseId = given().header("Authorization", bearer("app")).header("X-Request-Id", requestId)
                .post("/v1/creds/openbao/database/creds/app").then().statusCode(200).extract().path("lease_id");
        for (String filter : new String[] {"request_id=" + requestId, "lease_id=" + leaseId}) {
            String lines = given().header("Authorization", bearer("auditor")).get("/v1/audit/export?" + filter)
                    .then().statusCode(200).extract().asString();
            assertThat(lines.lines().toList()).as(filter).isNotEmpty().allSatisfy(line -> assertThat(line)
                    .contains(filter.startsWith("request_id") ? requestId : "\"lease_hmac\""));
            assertThat(lines.lines().count()).as(filter).isLessThan(audit.allRows().size());
        }
    }

    @Test
    void anUnverifiedAddressGetsABoundedNumberOfRowsPerMinute() {
        String address = "127.0.0.9";
        int budget = TestCallers.ANONYMOUS_REFUSALS_PER_MINUTE;
        int before = audit.query("select 1 from audit_event where client_address = ?", address).size();
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < budget + 20; i++) {
            statuses.add(RawHttp.send(root.getPort(), address, RawHttp.request("GET /v1/secrets/openbao/x HTTP/1.1", null,
                    "Authorization: Bearer not-a-token")).orElseThrow().status());
        }
        int recorded = audit.query("select 1 from audit_event where client_address = ?", address).size() - before;
        assertThat(recorded).as("the budget, plus one row saying the address is being limited").isEqualTo(budget + 1);
        assertThat(statuses.subList(0, budget)).as("every refusal within the budget").containsOnly(401);
        assertThat(statuses.getLast()).isEqualTo(429);
        assertThat(audit.query("select 1 from audit_event where client_address = ? and error_code = 'RATE_LIMITED'", address))
                .hasSize(1);
        given().get("/v1/secrets/openbao/x").then().statusCode(401); // other addresses are not affected

        // Once the minute is over, one aggregate row counts the refusals answered without a row of their own.
        MovableClock.advance(Duration.ofSeconds(61));
        audited.recordUnrecordedRefusals().await().atMost(Duration.ofSeconds(10));
        List<Map<String, Object>> counted = audit.query("select detail from audit_event where client_address = ?"
                + " and operation = 'request.unrecorded'", address);
        assertThat(counted).singleElement().satisfies(row -> assertThat((String) row.get("detail"))
                .startsWith("19 refusals answered 429 without a row of their own"));
    }

    /**
     * Behind an ingress every client shares its address. The ingress (a trusted proxy) names the client, so one
     * scanner spends only its own budget and rows carry the client's address; anyone else naming an address is ignored.
     */
    @Test
    void forwardedClientAddressesAreBelievedOnlyFromTheTrustedProxy() {
        String viaProxy = "it-xff-" + UUID.randomUUID();
        RawHttp.send(root.getPort(), TestCallers.TRUSTED_PROXY, RawHttp.request("GET /v1/secrets/openbao/x HTTP/1.1", null,
                "X-Request-Id: " + viaProxy, "X-Forwarded-For: 203.0.113.7")).orElseThrow();
        assertThat(audit.single(viaProxy).get("client_address")).isEqualTo("203.0.113.7");

        String spoofed = "it-xff-" + UUID.randomUUID();
        RawHttp.send(root.getPort(), "127.0.0.21", RawHttp.request("GET /v1/secrets/openbao/x HTTP/1.1", null,
                "X-Request-Id: " + spoofed, "X-Forwarded-For: 203.0.113.8")).orElseThrow();
        assertThat(audit.single(spoofed).get("client_address")).isEqualTo("127.0.0.21");

        int budget = TestCallers.ANONYMOUS_REFUSALS_PER_MINUTE;
        int last = 0;
        for (int i = 0; i <= budget + 1; i++) {
            last = RawHttp.send(root.getPort(), TestCallers.TRUSTED_PROXY, RawHttp.request("GET /v1/secrets/openbao/x HTTP/1.1",
                    null, "X-Forwarded-For: 203.0.113.9")).orElseThrow().status();
        }
        assertThat(last).as("the scanner behind the ingress spent its own budget").isEqualTo(429);
        assertThat(RawHttp.send(root.getPort(), TestCallers.TRUSTED_PROXY, RawHttp.request("GET /v1/secrets/openbao/x HTTP/1.1",
                null, "X-Forwarded-For: 203.0.113.10")).orElseThrow().status()).as("another client behind it").isEqualTo(401);
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
