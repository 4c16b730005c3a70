package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** An auditor asks who read what, when, with which outcome, and who held a credential. */
@QuarkusTest
@RealPeers
class AuditQueryIT {

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    private String bearer(String name) {
        return callers.bearer(name);
    }

    @Test
    void filtersFindExactlyTheMatchingEvents() {
        String marker = "it-query-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", marker)
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        JsonPath byRequest = events(Map.of("request_id", marker));
        assertThat(byRequest.getList("events")).hasSize(1);
        assertThat(byRequest.getString("events[0].subject")).isEqualTo("token:app");
        assertThat(byRequest.getString("events[0].operation")).isEqualTo("read");
        assertThat(byRequest.getString("events[0].hash")).hasSize(64);

        given().header("Authorization", bearer("nobody")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(403);
        JsonPath denied = events(Map.of("subject", "token:nobody", "outcome", "denied", "path", "openbao/secret/**"));
        assertThat(denied.getList("events")).isNotEmpty();
        assertThat(denied.<String>getList("events.subject")).containsOnly("token:nobody");
        assertThat(denied.<String>getList("events.outcome")).containsOnly("denied");
        assertThat(events(Map.of("path", "openbao/secret/*")).getList("events"))
                .as("* stays within one segment").isEmpty();
    }

    @Test
    void pathGlobsSelectExactlyTheirSubtreeWhicheverIndexServesThem() {
        String g = "globs-" + UUID.randomUUID().toString().substring(0, 8);
        // Not-found reads are audited with their path like any other: no OpenBao data needed.
        List<String> paths = List.of(g + "/a/x", g + "/a/y/z", g + "/b/x", g + "x/a", g + "/a");
        for (String path : paths) {
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/" + path);
        }
        Map<String, List<String>> expected = Map.of(
                "openbao/secret/" + g + "/**", List.of(g + "/a/x", g + "/a/y/z", g + "/b/x", g + "/a"),
                "openbao/secret/" + g + "/a/**", List.of(g + "/a/x", g + "/a/y/z"),
                "openbao/secret/" + g + "/*/x", List.of(g + "/a/x", g + "/b/x"),
                "openbao/secret/" + g + "/a/x", List.of(g + "/a/x"),
                "openbao/secret/" + g + "*/a", List.of(g + "/a", g + "x/a"),
                "**/" + g + "/b/x", List.of(g + "/b/x"),
                "openbao/secret/" + g + "/a/*", List.of(g + "/a/x"));
        expected.forEach((glob, matching) -> {
            List<String> found = events(Map.of("path", glob, "subject", "token:app", "limit", "1000")).getList("events.path");
            assertThat(found).as(glob).containsExactlyInAnyOrderElementsOf(matching.stream().map(p -> "secret/" + p).toList());
        });
    }

    @Test
    void timeWindowsIncludeExactlyTheirEvents() {
        Instant before = MovableClock.now().minusMillis(1);
        String marker = "it-window-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", marker)
                .get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        Instant after = MovableClock.now().plusMillis(1);
        assertThat(events(Map.of("request_id", marker, "from", before.toString(), "to", after.toString())).getList("events")).hasSize(1);
        assertThat(events(Map.of("request_id", marker, "to", before.toString())).getList("events")).isEmpty();
        assertThat(events(Map.of("request_id", marker, "from", after.toString())).getList("events")).isEmpty();
        assertThat(events(Map.of("subject", "token:app", "from", before.toString(), "limit", "1000")).<String>getList("events.request_id"))
                .contains(marker);
    }

    @Test
    void pagesAreStableAndCoverEverythingOnce() {
        for (int i = 0; i < 7; i++) {
            given().header("Authorization", bearer("app")).get("/v1/secrets/openbao/secret/payments/config").then().statusCode(200);
        }
        List<Long> seen = new ArrayList<>();
        String after = null;
        do {
            Map<String, Object> params = new java.util.HashMap<>(Map.of("limit", "3", "subject", "token:app"));
            if (after != null) {
                params.put("after", after);
            }
            JsonPath page = events(params);
            seen.addAll(page.<Number>getList("events.seq").stream().map(Number::longValue).toList());
            after = page.getString("next");
        } while (after != null);
        assertThat(seen).hasSizeGreaterThanOrEqualTo(7).isSorted().doesNotHaveDuplicates();
        Set<Long> all = new HashSet<>(events(Map.of("limit", "1000", "subject", "token:app")).<Number>getList("events.seq")
                .stream().map(Number::longValue).toList());
        assertThat(new HashSet<>(seen)).isEqualTo(all);
    }

    @Test
    void exportIsJsonLinesInChainOrder() {
        String body = given().header("Authorization", bearer("auditor")).get("/v1/audit/export")
                .then().statusCode(200).contentType("application/x-ndjson").extract().asString();
        List<Long> seqs = body.lines().map(line -> JsonPath.from(line).getLong("seq")).toList();
        assertThat(seqs).isNotEmpty().isSorted().doesNotHaveDuplicates();
        assertThat(body.lines().findFirst().orElseThrow()).contains("\"hash\"").contains("\"occurred_at\"");
    }

    @Test
    void holdersNameWhoHeldALeaseOnAPath() {
        Instant before = MovableClock.now().minusSeconds(1);
        String leaseId = given().header("Authorization", bearer("app")).post("/v1/creds/openbao/database/creds/app")
                .then().statusCode(200).extract().path("lease_id");
        JsonPath holders = given().header("Authorization", bearer("auditor"))
                .queryParam("path", "openbao/database/creds/app").queryParam("from", before.toString())
                .get("/v1/audit/holders").then().statusCode(200).extract().jsonPath();
        assertThat(holders.<String>getList("holdings.subject")).contains("token:app");
        JsonPath oneLease = given().header("Authorization", bearer("auditor"))
                .queryParam("path", "openbao/database/creds/app").queryParam("from", before.toString())
                .queryParam("lease_id", leaseId)
                .get("/v1/audit/holders").then().statusCode(200).extract().jsonPath();
        assertThat(oneLease.<String>getList("holdings.subject")).containsExactly("token:app");
        assertThat(oneLease.<String>getList("holdings.kind")).containsExactly("lease");
    }

    @Test
    void callersWithoutAuditReadAreRefusedAndThatIsAudited() {
        String requestId = "it-audit-denied-" + UUID.randomUUID();
        given().header("Authorization", bearer("app")).header("X-Request-Id", requestId).get("/v1/audit/events")
                .then().statusCode(403).contentType("application/problem+json").body("code", equalTo("ACCESS_DENIED"));
        assertThat(audit.rowsFor(requestId)).singleElement().satisfies(row -> assertThat(row)
                .containsEntry("subject", "token:app").containsEntry("operation", "audit.query").containsEntry("outcome", "denied"));
    }

    @Test
    void administrativeFactsAtStartUpAreInTheLog() {
        JsonPath policies = events(Map.of("operation", "policy.load", "limit", "1000"));
        assertThat(policies.<String>getList("events.path")).contains("policies/app", "policies/auditor");
        assertThat(policies.<String>getList("events.subject")).containsOnly("system");
        JsonPath tokens = events(Map.of("operation", "token.bootstrap", "limit", "1000"));
        assertThat(tokens.<String>getList("events.path")).contains("tokens/app", "tokens/auditor");
    }

    @Test
    void badQueryParametersAre400() {
        given().header("Authorization", bearer("auditor")).queryParam("from", "yesterday").get("/v1/audit/events")
                .then().statusCode(400).body("code", equalTo("INVALID_QUERY"));
        given().header("Authorization", bearer("auditor")).queryParam("limit", "100000").get("/v1/audit/events")
                .then().statusCode(400).body("code", equalTo("INVALID_QUERY"));
        given().header("Authorization", bearer("auditor")).queryParam("after", "x").get("/v1/audit/events")
                .then().statusCode(400).body("code", equalTo("INVALID_QUERY"));
    }

    private JsonPath events(Map<String, ?> params) {
        return given().header("Authorization", bearer("auditor")).queryParams(params).get("/v1/audit/events")
                .then().statusCode(200).extract().jsonPath();
    }
}
