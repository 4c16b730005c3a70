package dev.lanyard.rest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

/**
 * Writes into the OpenAPI document every status and problem code each operation can answer, so that clients
 * generated from it handle what Lanyard really sends: the edge's refusals (every /v1 operation), the caller's and
 * the broker's, revoke's 204, and that request bodies have no fields beyond the documented ones.
 */
public class ProblemResponses implements OASFilter {

    static final String PROBLEM = "Problem";

    /** Every /v1 request can meet these, before any endpoint runs. */
    private static final Map<String, String> EDGE = Map.of(
            "400", "INVALID_PATH, INVALID_QUERY, BAD_REQUEST, MALFORMED_BODY: the request could be read more than one way",
            "401", "UNAUTHENTICATED: a valid bearer token is required",
            "405", "METHOD_NOT_ALLOWED",
            "413", "BODY_TOO_LARGE: the body is over 16 KiB",
            "414", "URI_TOO_LONG: the request target is over 8 KiB",
            "429", "RATE_LIMITED: too many refused unauthenticated requests from this address",
            "431", "HEADERS_TOO_LARGE: over 100 headers or 16 KiB of them",
            "503", "AUTHENTICATION_UNAVAILABLE, AUDIT_UNAVAILABLE, SHUTTING_DOWN: callers cannot be verified, the access cannot be"
                    + " recorded, or this replica is stopping (retry on another)");

    private static final Map<String, Map<String, String>> BY_OPERATION = Map.of(
            "GET /v1/secrets/{backend}/{path}", Map.of(
                    "400", "INVALID_PATH: the path, backend name, version or stage is not valid;"
                            + " INVALID_QUERY: both version and stage, or a property that is not a field name",
                    "403", "ACCESS_DENIED", "404", "BACKEND_NOT_FOUND, SECRET_NOT_FOUND: also a property the secret does not have",
                    "422", "OPERATION_NOT_SUPPORTED", "502", "BACKEND_REJECTED", "503", "BACKEND_UNAVAILABLE, AUDIT_UNAVAILABLE"),
            "POST /v1/creds/{backend}/{path}", Map.of(
                    "400", "INVALID_PATH", "403", "ACCESS_DENIED", "404", "BACKEND_NOT_FOUND, SECRET_NOT_FOUND",
                    "422", "OPERATION_NOT_SUPPORTED", "429", "LEASE_LIMIT_EXCEEDED, RATE_LIMITED", "502", "BACKEND_REJECTED",
                    "503", "BACKEND_UNAVAILABLE, AUDIT_UNAVAILABLE"),
            "POST /v1/leases/renew", body(Map.of("404", "LEASE_NOT_FOUND", "403", "ACCESS_DENIED", "502", "BACKEND_REJECTED",
                    "503", "BACKEND_UNAVAILABLE, AUDIT_UNAVAILABLE")),
            "POST /v1/leases/revoke", body(Map.of("404", "LEASE_NOT_FOUND", "403", "ACCESS_DENIED", "502", "BACKEND_REJECTED",
                    "503", "BACKEND_UNAVAILABLE, AUDIT_UNAVAILABLE")),
            "POST /v1/tokens", body(Map.of("403", "ACCESS_DENIED")),
            "GET /v1/tokens", Map.of("403", "ACCESS_DENIED"),
            "DELETE /v1/tokens/{id}", Map.of("400", "INVALID_QUERY: a token id is 16 lower-case hex digits",
                    "403", "ACCESS_DENIED", "404", "TOKEN_NOT_FOUND"));

    private static final Map<String, String> ROTATION_API = Map.of(
            "400", "INVALID_SCHEDULE, WINDOW_TOO_SHORT, INVALID_STRATEGY, INVALID_QUERY", "403", "ACCESS_DENIED",
            "404", "UNKNOWN_SECRET, ROTATION_NOT_FOUND", "409", "SCHEDULE_EXISTS, RUN_IN_PROGRESS, RUN_STATE",
            "422", "STRATEGY_NOT_SUPPORTED", "503", "BACKEND_UNAVAILABLE");

    private static final Map<String, String> AUDIT_API = Map.of(
            "400", "INVALID_QUERY: a filter cannot be understood", "403", "ACCESS_DENIED");

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

    private static Map<String, String> body(Map<String, String> more) {
        Map<String, String> all = new LinkedHashMap<>(more);
        all.put("400", "MALFORMED_BODY, UNKNOWN_FIELD, DUPLICATE_FIELD, INVALID_REQUEST: the body is not the documented JSON");
        all.put("415", "UNSUPPORTED_MEDIA_TYPE: the body must be application/json");
        return all;
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        openAPI.getComponents().addSchema(PROBLEM, problemSchema());
        for (String body : List.of("LeaseRequest", "IssueRequest")) {
            Schema schema = openAPI.getComponents().getSchemas().get(body);
            if (schema != null) {
                schema.additionalPropertiesSchema(OASFactory.createSchema().booleanSchema(false));
            }
        }
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
        Map<String, String> problems = new TreeMap<>(EDGE);
        merge(problems, path.startsWith("/v1/audit/") ? AUDIT_API : Map.of());
        merge(problems, path.startsWith("/v1/rotations") ? ROTATION_API : Map.of());
        merge(problems, BY_OPERATION.getOrDefault(key, Map.of()));
        problems.forEach((status, codes) -> responses.addAPIResponse(status, problem(codes)));
    }

    private static void merge(Map<String, String> into, Map<String, String> more) {
        more.forEach((status, codes) -> into.merge(status, codes, (a, b) -> a.equals(b) ? a : a + "; " + b));
    }

    private static APIResponse problem(String codes) {
        return OASFactory.createAPIResponse().description("Problem codes: " + codes)
                .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE,
                        OASFactory.createMediaType().schema(OASFactory.createSchema().ref(PROBLEM))));
    }

    private static Schema problemSchema() {
        Schema text = OASFactory.createSchema().addType(Schema.SchemaType.STRING);
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("RFC 9457 problem details; branch on code, detail is for people")
                .required(List.of("type", "title", "status", "code"))
                .addProperty("type", text).addProperty("title", text)
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER))
                .addProperty("code", OASFactory.createSchema().addType(Schema.SchemaType.STRING).pattern("^[A-Z][A-Z0-9_]+$"))
                .addProperty("detail", text).addProperty("request_id", text);
    }
}
