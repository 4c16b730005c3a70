package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees of one request: its trace (a span per step, W3C trace context accepted from the caller and
 * sent on to Vault, no secret in any attribute) and the audit row that leads to it.
 */
@QuarkusTest
@RealPeers
class ObservabilityIT {

    private static final String ROLE = "v1/creds/openbao/database/creds/app";

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    VaultPeer openBao;

    @InjectPeer
    AuditRows audit;

    @Inject
    InMemorySpanExporter spans;

    @Test
    void oneCredentialRequestIsOneTraceWithAChildSpanPerStepAndNoSecretInIt() throws Exception {
        // Vault records the header in its own audit log once told to: the proof, from Vault's side, that it was sent.
        openBao.cli("write", "sys/config/auditing/request-headers/traceparent", "hmac=false");
        String traceId = hex(16);
        String callerSpan = hex(8);
        String requestId = "traced-" + UUID.randomUUID();
        Response issued = given().header("Authorization", callers.bearer("traced"))
                .header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                .header("X-Request-Id", requestId)
                .post(ROLE);
        assertThat(issued.statusCode()).as(issued.asString()).isEqualTo(200);
        JsonPath body = issued.jsonPath();
        List<String> secrets = List.of(body.getString("data.password"), body.getString("lease_id"), callers.token("traced"),
                openBao.rootToken());

        Map<String, SpanData> byName = awaitTrace(traceId, Set.of("lanyard.authenticate", "lanyard.policy",
                "lanyard.cache.lookup", "lanyard.backend.call", "lanyard.audit.append", "lanyard.audit.commit"));
        SpanData server = spans.getFinishedSpanItems().stream()
                .filter(s -> s.getTraceId().equals(traceId) && s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        assertThat(server.getParentSpanId()).as("the caller's traceparent is the request's parent").isEqualTo(callerSpan);
        assertThat(parentOf(byName.get("lanyard.authenticate"))).isEqualTo(server.getSpanId());
        assertThat(parentOf(byName.get("lanyard.policy"))).isEqualTo(server.getSpanId());
        assertThat(parentOf(byName.get("lanyard.cache.lookup"))).isEqualTo(server.getSpanId());
        assertThat(byName.get("lanyard.cache.lookup").getAttributes().get(AttributeKey.stringKey("lanyard.cache.result")))
                .isEqualTo("miss");
        SpanData backend = byName.get("lanyard.backend.call");
        assertThat(parentOf(backend)).as("the backend call is made by the cache's load").isEqualTo(byName.get("lanyard.cache.lookup").getSpanId());
        assertThat(backend.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(backend.getAttributes().get(AttributeKey.stringKey("lanyard.operation"))).isEqualTo("issue");
        SpanData append = byName.get("lanyard.audit.append");
        assertThat(parentOf(append)).isEqualTo(server.getSpanId());
        SpanData commit = byName.get("lanyard.audit.commit");
        assertThat(commit.getParentSpanId().equals(append.getSpanId())
                || commit.getLinks().stream().map(LinkData::getSpanContext).anyMatch(link -> link.getSpanId().equals(append.getSpanId())))
                .as("the group commit that carried the event is a child of its append, or linked to it").isTrue();

        assertThat(Files.readString(openBao.auditLog())).as("Vault saw the backend call's trace context")
                .contains("00-" + traceId + "-" + backend.getSpanId() + "-01");
        assertThat(audit.single(requestId)).containsEntry("status", 200);

        for (SpanData span : spans.getFinishedSpanItems()) {
            String attributes = span.getName() + " " + span.getAttributes() + " " + span.getEvents() + " " + span.getStatus();
            for (String secret : secrets) {
                assertThat(attributes).as("span %s carries no secret value, token or lease id", span.getName())
                        .doesNotContain(secret);
            }
        }
    }

    @Test
    void aRequestWithoutItsOwnIdIsRecordedUnderItsTraceId() {
        String traceId = hex(16);
        Response refused = given().header("Authorization", callers.bearer("nobody"))
                .header("traceparent", "00-" + traceId + "-" + hex(8) + "-01")
                .get("v1/secrets/openbao/secret/payments/config");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.header("X-Request-Id")).isEqualTo(traceId);
        assertThat(audit.single(traceId)).containsEntry("status", 403);
    }

    private Map<String, SpanData> awaitTrace(String traceId, Set<String> names) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (true) {
            Map<String, SpanData> byName = spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId))
                    .filter(s -> names.contains(s.getName()))
                    .collect(Collectors.toMap(SpanData::getName, Function.identity(), (first, second) -> first));
            if (byName.keySet().containsAll(names) || Instant.now().isAfter(deadline)) {
                assertThat(byName.keySet()).as("spans of trace %s: %s", traceId, spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getTraceId().equals(traceId)).map(s -> s.getName() + "<-" + s.getParentSpanId()).toList())
                        .containsAll(names);
                return byName;
            }
            Thread.sleep(100);
        }
    }

    private static String parentOf(SpanData span) {
        return span.getParentSpanId();
    }

    private static String hex(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return HexFormat.of().formatHex(value);
    }
}
