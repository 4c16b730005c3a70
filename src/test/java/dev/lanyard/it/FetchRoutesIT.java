package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plain read and credential calls are served by the HTTP layer directly; every other form of them by the REST
 * layer. A caller must not be able to tell which one answered: the same status, headers, body and audit row for every
 * outcome. Each case is sent twice, once plain and once with a query parameter that changes nothing but the layer.
 */
@QuarkusTest
@RealPeers
class FetchRoutesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Audit columns that describe the access; request ids differ by construction, times and seqs by nature. */
    private static final List<String> ACCESS_COLUMNS = List.of("actor_kind", "subject", "operation", "target_kind", "backend",
            "path", "version", "lease_hmac", "outcome", "status", "error_code");

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @Inject
    Router router;

    @Inject
    MeterRegistry meters;

    /** Without its routes every case below would go through the REST layer twice and prove nothing. */
    @Test
    void thePlainFormsHaveTheirOwnRoutes() {
        assertThat(router.getRoutes()).extracting(Route::getPath).filteredOn(Objects::nonNull)
                .contains("/v1/secrets/", "/v1/creds/");
    }

    static Stream<Arguments> outcomes() {
        String creds = "/v1/creds/openbao/database/creds/" + OpenBaoResource.ROLE_APP;
        return Stream.of(
                Arguments.of("a cached read", "admin", "GET", "/v1/secrets/openbao/secret/payments/config", 200),
                Arguments.of("a read the policy denies", "nobody", "GET", "/v1/secrets/openbao/secret/payments/config", 403),
                Arguments.of("a secret that does not exist", "admin", "GET", "/v1/secrets/openbao/secret/missing-" + UUID.randomUUID(), 404),
                Arguments.of("a path outside the secrets mounts", "admin", "GET", "/v1/secrets/openbao/sys/mounts", 422),
                Arguments.of("a backend name that is not one", "admin", "GET", "/v1/secrets/bad!name/secret/x", 400),
                Arguments.of("an unknown backend", "admin", "GET", "/v1/secrets/nowhere/secret/x", 404),
                Arguments.of("no token at all", null, "GET", "/v1/secrets/openbao/secret/payments/config", 401),
                Arguments.of("a cached credential", "app", "POST", creds, 200),
                Arguments.of("a credential the policy denies", "nobody", "POST", creds, 403));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outcomes")
    void thePlainFormAndTheRestLayerAnswerAlike(String what, String caller, String method, String path, int status) throws Exception {
        // Warm the cache so that both forms are served from it (a miss on one and a hit on the other would differ in TTL).
        send(caller, method, path, "warm-" + UUID.randomUUID());
        String plainId = "it-plain-" + UUID.randomUUID();
        String restId = "it-rest-" + UUID.randomUUID();
        double lean = leanAnswers();
        Response plain = send(caller, method, path, plainId);
        assertThat(leanAnswers() - lean).as(what + ": the plain form is answered by the HTTP layer").isEqualTo(1.0);
        Response rest = send(caller, method, path + "?unused=1", restId);
        assertThat(leanAnswers() - lean).as(what + ": the other form reaches the REST layer").isEqualTo(1.0);

        assertThat(plain.statusCode()).as(what + ": plain").isEqualTo(status);
        assertThat(rest.statusCode()).as(what + ": through the REST layer").isEqualTo(status);
        for (String header : List.of("Content-Type", "Cache-Control", "WWW-Authenticate")) {
            assertThat(plain.header(header)).as(what + ": " + header).isEqualTo(rest.header(header));
        }
        assertThat(plain.header("X-Request-Id")).isEqualTo(plainId);
        assertThat(rest.header("X-Request-Id")).isEqualTo(restId);
        assertThat(plain.asString()).as("ends like every JSON answer").endsWith("}\n");
        assertThat(comparable(plain.asString(), plainId)).as(what + ": body").isEqualTo(comparable(rest.asString(), restId));

        Map<String, Object> plainRow = audit.rowsFor(plainId).getFirst();
        assertThat(audit.rowsFor(plainId)).as(what + ": one audit row").hasSize(1);
        assertThat(audit.rowsFor(restId)).as(what + ": one audit row").hasSize(1);
        Map<String, Object> restRow = audit.rowsFor(restId).getFirst();
        for (String column : ACCESS_COLUMNS) {
            assertThat(plainRow.get(column)).as(what + ": audit " + column).isEqualTo(restRow.get(column));
        }
        assertThat(plainRow.get("status")).as("the status recorded is the status sent").isEqualTo(status);
    }

    /** Requests the HTTP layer answered itself, on both of its routes (FetchRoutes). */
    private double leanAnswers() {
        return meters.find("lanyard.http.lean.requests").counters().stream().mapToDouble(Counter::count).sum();
    }

    private Response send(String caller, String method, String path, String requestId) {
        RequestSpecification request = given().header("X-Request-Id", requestId).urlEncodingEnabled(false);
        if (caller != null) {
            request = request.header("Authorization", "Bearer " + callers.token(caller));
        }
        return request.request(method, path);
    }

    /** The body with what differs by construction removed: its request id, and the whole seconds left (time passes). */
    private static JsonNode comparable(String body, String requestId) throws Exception {
        ObjectNode node = (ObjectNode) JSON.readTree(body);
        assertThat(node.path("request_id").asText(requestId)).isEqualTo(requestId);
        node.remove("request_id");
        node.remove("ttl");
        return node;
    }
}
