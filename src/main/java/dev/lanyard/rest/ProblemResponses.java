package dev.lanyard.rest;

import dev.lanyard.access.Refusal;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.headers.Header;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Writes into the OpenAPI document every status and problem code each operation can answer, so that clients
 * generated from it handle what Lanyard really sends: the edge's refusals (every /v1 operation), the caller's and
 * the broker's, the successes the scanner cannot see (revoke's 204, issue's 201), the headers that come with a 401 and
 * a 405, and the problem+json schema with its closed list of codes.
 */
final class ProblemResponses {

    static final String PROBLEM = "Problem";

    /** Every /v1 request can meet these, before any endpoint runs. */
    private static final List<Refusal> EDGE = List.of(Refusal.INVALID_PATH, Refusal.INVALID_QUERY, Refusal.BAD_REQUEST,
            Refusal.MALFORMED_BODY, Refusal.UNAUTHENTICATED, Refusal.METHOD_NOT_ALLOWED, Refusal.NOT_ACCEPTABLE, Refusal.BODY_TOO_LARGE,
            Refusal.URI_TOO_LONG, Refusal.RATE_LIMITED, Refusal.HEADERS_TOO_LARGE, Refusal.AUTHENTICATION_UNAVAILABLE,
            Refusal.AUDIT_UNAVAILABLE, Refusal.SHUTTING_DOWN);

    /** What a request body can be refused for. */
    private static final List<Refusal> BODY = List.of(Refusal.MALFORMED_BODY, Refusal.UNKNOWN_FIELD, Refusal.DUPLICATE_FIELD,
            Refusal.INVALID_REQUEST, Refusal.UNSUPPORTED_MEDIA_TYPE);

    private static final List<Refusal> LEASES = List.of(Refusal.LEASE_NOT_FOUND, Refusal.ACCESS_DENIED,
            Refusal.BACKEND_REJECTED, Refusal.BACKEND_UNAVAILABLE);

    private static final Map<String, List<Refusal>> BY_OPERATION = Map.ofEntries(
            Map.entry("GET /v1/secrets/{backend}/{path}", List.of(Refusal.INVALID_PATH, Refusal.INVALID_QUERY,
                    Refusal.ACCESS_DENIED, Refusal.BACKEND_NOT_FOUND, Refusal.SECRET_NOT_FOUND, Refusal.OPERATION_NOT_SUPPORTED,
                    Refusal.BACKEND_REJECTED, Refusal.BACKEND_UNAVAILABLE)),
            Map.entry("PUT /v1/secrets/{backend}/{path}", with(BODY, Refusal.INVALID_PATH, Refusal.ACCESS_DENIED,
                    Refusal.BACKEND_NOT_FOUND, Refusal.OPERATION_NOT_SUPPORTED, Refusal.WRITE_CONFLICT,
                    Refusal.BACKEND_REJECTED, Refusal.BACKEND_UNAVAILABLE)),
            Map.entry("POST /v1/creds/{backend}/{path}", List.of(Refusal.INVALID_PATH, Refusal.ACCESS_DENIED,
                    Refusal.BACKEND_NOT_FOUND, Refusal.SECRET_NOT_FOUND, Refusal.OPERATION_NOT_SUPPORTED,
                    Refusal.LEASE_LIMIT_EXCEEDED, Refusal.BACKEND_REJECTED, Refusal.BACKEND_UNAVAILABLE)),
            Map.entry("POST /v1/leases/renew", with(BODY, LEASES.toArray(Refusal[]::new))),
            Map.entry("POST /v1/leases/revoke", with(BODY, LEASES.toArray(Refusal[]::new))),
            Map.entry("POST /v1/tokens", with(BODY, Refusal.ACCESS_DENIED)),
            Map.entry("GET /v1/tokens", List.of(Refusal.ACCESS_DENIED)),
            Map.entry("DELETE /v1/tokens/{id}", List.of(Refusal.INVALID_QUERY, Refusal.ACCESS_DENIED, Refusal.TOKEN_NOT_FOUND)),
            // The log's state, not the query, decides these: a range it does not hold, an archive point without its seal.
            Map.entry("POST /v1/audit/verify", List.of(Refusal.LOG_STATE)),
            Map.entry("POST /v1/audit/archive", List.of(Refusal.LOG_STATE)),
            Map.entry("POST /v1/rotations", BODY),
            Map.entry("PUT /v1/rotations/{id}", BODY));

    private static final List<Refusal> ROTATION_API = List.of(Refusal.INVALID_SCHEDULE, Refusal.WINDOW_TOO_SHORT,
            Refusal.INVALID_STRATEGY, Refusal.INVALID_QUERY, Refusal.ACCESS_DENIED, Refusal.UNKNOWN_SECRET,
            Refusal.ROTATION_NOT_FOUND, Refusal.SCHEDULE_EXISTS, Refusal.RUN_IN_PROGRESS, Refusal.RUN_STATE,
            Refusal.STRATEGY_NOT_SUPPORTED, Refusal.BACKEND_UNAVAILABLE);

    private static final List<Refusal> AUDIT_API = List.of(Refusal.INVALID_QUERY, Refusal.ACCESS_DENIED);

    /**
     * What the operations that build their own {@code Response} answer on success: the scanner sees only the method's
     * return type, so it would document 200 and no body.
     */
    private static final Map<String, Answer> ANSWERS = Map.of(
            "POST /v1/leases/revoke", new Answer("204", "Revoked: it stops working", null),
            "DELETE /v1/tokens/{id}", new Answer("204", "Revoked: it stops working", null),
            "POST /v1/tokens", new Answer("201", "Issued: the token is in this answer only", "TokenView"),
            "POST /v1/rotations", new Answer("201", "Scheduled", "ScheduleView"),
            "POST /v1/rotations/{id}/runs", new Answer("202", "Started: the run goes on in the background", "RunView"),
            "DELETE /v1/rotations/{id}", new Answer("204", "Deleted, with its run history", null));

    private record Answer(String status, String description, String schema) {
        APIResponse response() {
            APIResponse response = OASFactory.createAPIResponse().description(description);
            return schema == null ? response : response.content(OASFactory.createContent().addMediaType("application/json",
                    OASFactory.createMediaType().schema(OASFactory.createSchema().ref(schema))));
        }
    }

    private static List<Refusal> with(List<Refusal> base, Refusal... more) {
        List<Refusal> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    static void describe(OpenAPI openAPI) {
        openAPI.getComponents().addSchema(PROBLEM, problemSchema());
        openAPI.getPaths().getPathItems().forEach((path, item) -> item.getOperations().forEach((method, operation) ->
                describe(method.name() + " " + path, path, operation)));
    }

    private static void describe(String key, String path, Operation operation) {
        APIResponses responses = operation.getResponses();
        Answer answer = ANSWERS.get(key);
        if (answer != null) {
            responses.removeAPIResponse("200");
            responses.addAPIResponse(answer.status(), answer.response());
        }
        Set<Refusal> refusals = new LinkedHashSet<>(EDGE);
        refusals.addAll(path.startsWith("/v1/audit/") ? AUDIT_API : List.of());
        refusals.addAll(path.startsWith("/v1/rotations") ? ROTATION_API : List.of());
        refusals.addAll(BY_OPERATION.getOrDefault(key, List.of()));
        Map<Integer, List<Refusal>> byStatus = new TreeMap<>();
        refusals.forEach(refusal -> byStatus.computeIfAbsent(refusal.status(), status -> new ArrayList<>()).add(refusal));
        byStatus.forEach((status, codes) -> responses.addAPIResponse(String.valueOf(status), problem(codes)));
        // What comes with the problem: the scheme to authenticate with, and the methods the path takes (AccessFilters).
        responses.getAPIResponse("401").addHeader("WWW-Authenticate", header("Bearer realm=\"lanyard\""));
        responses.getAPIResponse("405").addHeader("Allow", header("The methods this path takes, such as GET, HEAD, PUT"));
    }

    private static Header header(String description) {
        return OASFactory.createHeader().required(true).description(description)
                .schema(OASFactory.createSchema().addType(Schema.SchemaType.STRING));
    }

    private static APIResponse problem(List<Refusal> refusals) {
        String codes = refusals.stream().map(refusal -> refusal.code() + " (" + refusal.detail() + ")")
                .collect(Collectors.joining("; "));
        return OASFactory.createAPIResponse().description("Problem codes: " + codes)
                .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE,
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref(PROBLEM))));
    }

    private static Schema problemSchema() {
        Schema text = OASFactory.createSchema().addType(Schema.SchemaType.STRING);
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("RFC 9457 problem details; branch on code, detail is for people")
                .required(List.of("type", "title", "status", "code", "detail"))
                .additionalPropertiesBoolean(Boolean.FALSE)
                .addProperty("type", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                        .pattern("^urn:lanyard:problem:[a-z0-9-]+$"))
                .addProperty("title", text)
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER)
                        .minimum(BigDecimal.valueOf(400)).maximum(BigDecimal.valueOf(599)))
                .addProperty("code", OASFactory.createSchema().addType(Schema.SchemaType.STRING)
                        .enumeration(Arrays.stream(Refusal.values()).<Object>map(Refusal::code).toList())
                        .description("The stable code (access/Refusal): branch on it"))
                .addProperty("detail", text).addProperty("request_id", text);
    }
}
