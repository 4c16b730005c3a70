package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
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
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Path OBSERVABILITY = Path.of("deploy", "observability");
    /**
     * Metrics the rules and the dashboard name that this instance does not export yet: the Kubernetes controller's
     * (k8s/SyncMetrics, registered only when lanyard.k8s.enabled=true; ExternalSecretSyncIT reads them) and the
     * rotation engine's, registered once a schedule exists or a run has ended (RotationIT reads them).
     */
    private static final Set<String> EXPORTED_ELSEWHERE = Set.of("lanyard_rotation_runs_total",
            "lanyard_rotation_last_success_age_seconds", "lanyard_rotation_runs_stuck", "lanyard_rotation_interval_seconds",
            "lanyard_sync_propagation_seconds_bucket", "lanyard_sync_data_age_seconds", "lanyard_sync_refresh_interval_seconds");
    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "le", "Inf");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(?![a-zA-Z0-9_:]*\\s*\\()");

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

    @Test
    void theAlertRulesAndTheDashboardNameOnlyMetricsLanyardExports() throws Exception {
        // Labelled meters appear once used: a credential (backend call, circuit, cache) and a refusal.
        given().header("Authorization", callers.bearer("app")).post(ROLE).then().statusCode(200);
        given().header("Authorization", callers.bearer("nobody")).get("v1/secrets/openbao/secret/payments/config")
                .then().statusCode(403);
        Set<String> exported = new HashSet<>();
        for (String line : given().get("/q/metrics").then().statusCode(200).extract().asString().lines().toList()) {
            if (!line.isBlank() && !line.startsWith("#")) {
                exported.add(line.split("[{ ]", 2)[0]);
            }
        }

        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        JsonNode rules = yaml.readTree(OBSERVABILITY.resolve("alerts.yaml").toFile());
        List<String> expressions = new ArrayList<>();
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                String alert = rule.path("alert").asText();
                alerts.add(alert);
                expressions.add(rule.path("expr").asText());
                String runbook = rule.path("annotations").path("runbook_url").asText();
                assertThat(runbook).as("%s links its runbook", alert).isEqualTo("docs/runbooks/" + alert + ".md");
                assertThat(Path.of(runbook)).as("runbook of %s", alert).isRegularFile();
            }
        }
        assertThat(alerts).hasSize(16);

        JsonNode dashboard = new ObjectMapper().readTree(OBSERVABILITY.resolve("lanyard-dashboard.json").toFile());
        assertDashboardShape(dashboard);
        for (JsonNode panel : dashboard.path("panels")) {
            panel.path("targets").forEach(target -> expressions.add(target.path("expr").asText()));
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher metric = Pattern.compile("label_values\\((\\w+)").matcher(variable.path("definition").asText());
            if (metric.find()) {
                expressions.add(metric.group(1));
            }
        }

        Set<String> named = new TreeSet<>();
        expressions.forEach(expression -> named.addAll(metricNames(expression)));
        assertThat(named).as("metric names found in the rules and the dashboard").hasSizeGreaterThan(15)
                .contains("http_server_requests_seconds_bucket", "lanyard_audit_commit_seconds_bucket",
                        "lanyard_backend_circuit_state", "lanyard_audit_checkpoint_age_seconds");
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(exported);
        missing.removeAll(EXPORTED_ELSEWHERE);
        assertThat(missing).as("metrics the rules or the dashboard ask for that /q/metrics does not export").isEmpty();
    }

    /** What Grafana needs to load the dashboard: unique panel ids, a query per target, panels on the 24-column grid. */
    private static void assertDashboardShape(JsonNode dashboard) {
        assertThat(dashboard.path("uid").asText()).isNotBlank();
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(36);
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("panel id of %s is unique", title).isTrue();
            assertThat(panel.path("type").asText()).as(title).isIn("timeseries", "stat", "gauge", "table");
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo("${datasource}");
            JsonNode grid = panel.path("gridPos");
            assertThat(grid.path("x").asInt() + grid.path("w").asInt()).as("%s fits the grid", title).isBetween(1, 24);
            assertThat(grid.path("h").asInt()).as(title).isPositive();
            assertThat(panel.path("targets")).as("%s has queries", title).isNotEmpty();
            panel.path("targets").forEach(target -> {
                assertThat(target.path("refId").asText()).as(title).isNotBlank();
                assertThat(target.path("expr").asText()).as(title).isNotBlank();
            });
        }
        assertThat(ids).hasSizeGreaterThanOrEqualTo(10);
    }

    /** The metric names in a PromQL expression: identifiers that are not functions, keywords, labels or strings. */
    static Set<String> metricNames(String expression) {
        String bare = expression.replaceAll("\"[^\"]*\"", "")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
        Set<String> names = new TreeSet<>();
        Matcher identifier = IDENTIFIER.matcher(bare);
        while (identifier.find()) {
            String word = identifier.group();
            if (!PROMQL_WORDS.contains(word) && !word.matches("[0-9].*")) {
                names.add(word);
            }
        }
        return names;
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
