package dev.lanyard.rest;

import dev.lanyard.audit.store.AuditQuery;
import dev.lanyard.secret.VersionSelector;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.media.Schema.SchemaType;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;

/**
 * Writes into the OpenAPI document what a request must look like, as the service checks it: each parameter's pattern,
 * length, type and whether it is required, and each body's fields. The rules come from the constants the checks use
 * (Identifiers, the resources, the request records); RequestRulesTest holds each pattern here against the check itself.
 *
 * <p>JSON Schema patterns match anywhere, so every one is anchored. Lengths count characters (code points), as the
 * checks do. An optional query parameter given empty ({@code ?to=}) is absent, as the REST layer reads it: each says
 * {@code allowEmptyValue}.
 */
final class RequestRules {

    /**
     * A backend name in the URL path. The edge refuses {@code .} and {@code ..} segments, and OpenAPI's simple style
     * percent-encodes every other character, which the edge refuses too.
     */
    static final String BACKEND_SEGMENT = "^(?!\\.\\.?$)" + Identifiers.BACKEND_RULE + "$";
    /**
     * The secret path as OpenAPI can state it: one segment, in the characters a client sends unencoded. On the wire it
     * may span segments ({@code secret/payments/db}) and use {@code @ : = +} in them, written as they are; OpenAPI's
     * simple style would percent-encode those and the slash, and the edge refuses every percent-escape.
     */
    static final String PATH_SEGMENT = "^(?!\\.\\.?$)[A-Za-z0-9_.-]{1,512}$";
    static final String VERSION = "^(?:" + VersionSelector.ID.pattern() + ")?$";
    /** A stage label; one that spells a well-known stage in another case is refused, so that it names one stage. */
    static final String STAGE = "^(?:(?!(?:" + anyCase("current") + "|" + anyCase("pending") + "|" + anyCase("previous")
            + ")$)[A-Za-z0-9_.-]{1,64}|current|pending|previous)?$";
    static final String PROPERTY = "^(?:" + SecretResource.PROPERTY_RULE + ")?$";
    static final String TOKEN_ID = "^" + TokenResource.ID + "$";
    static final String ROTATION_ID = "^" + RotationResource.ID + "$";
    static final String FILTER = "^" + Identifiers.FILTER_RULE + "$";
    static final String BACKEND_FILTER = "^(?:" + Identifiers.BACKEND_RULE + ")?$";
    /**
     * {@code <backend>/<path>} as the holders query names it: printable ASCII, a backend name before the first slash; at
     * most {@link Identifiers#MAX_FILTER_LENGTH} characters, stated as the schema's {@code maxLength} rather than a
     * lookahead, which generators such as Schemathesis's cannot build examples from.
     */
    static final String HOLDINGS_PATH = "^" + Identifiers.BACKEND_RULE + "/[\\x20-\\x7e]*$";
    /** {@code <backend>/<path>} as a schedule names its secret: a backend name, then a secret path of segments. */
    static final String SECRET_REFERENCE = "^" + Identifiers.BACKEND_RULE + "/(?=.{1,512}$)(?!\\.\\.?(?:/|$))[A-Za-z0-9_.@:=+-]+"
            + "(?:/(?!\\.\\.?(?:/|$))[A-Za-z0-9_.@:=+-]+)*$";
    /**
     * Text that is not blank: it has a character {@link Character#isWhitespace} does not count as white space (JSON
     * Schema's {@code \S} counts others, such as the no-break spaces, so the class is spelt out).
     */
    static final String NOT_BLANK = "[^\\t\\n\\u000B\\f\\r\\u001C-\\u001F \\u1680\\u2000-\\u2006\\u2008-\\u200A\\u2028\\u2029"
            + "\\u205F\\u3000]";

    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);
    private static final String INTEGERS_ONLY = " A JSON integer: 1 or 1.0, not 1.5 or \"1\".";

    private RequestRules() {}

    static void describe(OpenAPI openAPI) {
        openAPI.getPaths().getPathItems().forEach((path, item) -> item.getOperations().forEach((method, operation) -> {
            if (operation.getParameters() != null) {
                operation.getParameters().forEach(parameter -> describe(path, parameter));
            }
        }));
        Components components = openAPI.getComponents();
        Map.of("LeaseRequest", leaseRequest(), "WriteRequest", writeRequest(), "IssueRequest", issueRequest(),
                "ScheduleRequest", scheduleRequest()).forEach((name, schema) -> {
                    if (!components.getSchemas().containsKey(name)) {
                        throw new IllegalStateException("the document has no request body " + name + " to describe");
                    }
                    components.addSchema(name, schema);
                });
        // The events of a page are audit events (docs/audit-chain.md), not the JSON library's node type.
        components.getSchemas().get("EventPage").getProperties().get("events").items(OASFactory.createSchema()
                .addType(SchemaType.OBJECT).description("An audit event in the form of docs/audit-chain.md"));
        components.removeSchema("JsonNode");
        components.removeSchema("JsonNodeType");
        // A new schedule names its secret (not null); a change may leave it out (it cannot change).
        MediaType created = openAPI.getPaths().getPathItem("/v1/rotations").getPOST().getRequestBody().getContent()
                .getMediaType(jakarta.ws.rs.core.MediaType.APPLICATION_JSON);
        created.schema(OASFactory.createSchema().addAllOf(OASFactory.createSchema().ref("ScheduleRequest"))
                .addAllOf(OASFactory.createSchema().required(List.of("secret"))
                        .addProperty("secret", OASFactory.createSchema().addType(SchemaType.STRING))));
    }

    private static void describe(String path, Parameter parameter) {
        String name = parameter.getName();
        Schema schema = switch (parameter.getIn()) {
            case PATH -> switch (name) {
                case "backend" -> text(BACKEND_SEGMENT, "A configured backend's name");
                case "path" -> text(PATH_SEGMENT, "The secret's path inside the backend. On the wire it may span segments"
                        + " (secret/payments/db: 1 to 512 characters of [A-Za-z0-9_.@:=+-] in '/'-separated segments, no '.'"
                        + " or '..' segment), written as it is: Lanyard refuses every percent-escape (400 INVALID_PATH), so a"
                        + " client must not encode the slashes or '@:=+'. OpenAPI's path parameters cannot span segments, so the"
                        + " pattern states the part every client writes alike: one segment of unreserved characters.");
                case "id" -> path.startsWith("/v1/tokens")
                        ? text(TOKEN_ID, "The token's id: 16 lower-case hex digits (else 400 INVALID_QUERY)")
                        : text(ROTATION_ID, "The schedule's id: a lower-case UUID (else 400 INVALID_QUERY)");
                case "run" -> text(ROTATION_ID, "The run's id: a lower-case UUID (else 400 INVALID_QUERY)");
                default -> throw new IllegalStateException("no rule for the path parameter " + name + " of " + path);
            };
            case QUERY -> {
                Schema query = query(path, name, parameter);
                parameter.allowEmptyValue(Boolean.TRUE.equals(parameter.getRequired()) ? null : Boolean.TRUE);
                yield query;
            }
            default -> throw new IllegalStateException("no rule for the parameter " + name + " of " + path);
        };
        parameter.schema(schema);
    }

    private static Schema query(String path, String name, Parameter parameter) {
        return switch (name) {
            case "version" -> path.startsWith("/v1/audit/")
                    ? text(FILTER, "Only holdings of this version id; empty means any")
                    : text(VERSION, "The version with this backend id; empty means the current one. Each backend reads its"
                            + " own ids (KV v2 and the local store: positive integers; AWS: UUIDs): an id the backend cannot"
                            + " read is 400 INVALID_PATH. Give version or stage, not both (400 INVALID_QUERY): OpenAPI cannot"
                            + " state that rule between two parameters.");
            case "stage" -> text(STAGE, "The version holding this stage: current, pending, previous or a custom label; empty"
                    + " means current. A label that spells current, pending or previous in another case is refused. Not with"
                    + " version.");
            case "property" -> text(PROPERTY, "Only this field of the secret (404 SECRET_NOT_FOUND if it has none); empty"
                    + " means every field");
            case "subject", "operation", "outcome", "lease_id", "request_id" -> text(FILTER,
                    "Only events with this " + name.replace('_', ' ') + "; printable ASCII; empty means any");
            case "backend" -> text(BACKEND_FILTER, "Only events of this backend; empty means any");
            case "path" -> {
                if (path.equals("/v1/audit/holders")) {
                    parameter.required(true);
                    yield text(HOLDINGS_PATH, "<backend>/<path> of the secret or role").maxLength(Identifiers.MAX_FILTER_LENGTH);
                }
                yield text(FILTER, "Only events whose path matches this glob (* within a segment, ** across); empty means any");
            }
            case "from", "to" -> {
                parameter.required(name.equals("from") && path.equals("/v1/audit/holders") ? true : null);
                yield OASFactory.createSchema().addType(SchemaType.STRING).format("date-time").description(
                        "An RFC 3339 date-time, such as 2026-11-23T10:00:00Z; " + (name.equals("from") ? "from this instant on"
                                : "before this instant"));
            }
            case "limit" -> integer("Events per page, " + AuditResource.DEFAULT_LIMIT + " when not given")
                    .minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(AuditQuery.MAX_LIMIT));
            case "after" -> integer("Events after this seq: the previous page's next");
            case "from_seq" -> integer("The first seq to verify");
            case "to_seq" -> integer("The last seq to verify");
            case "up_to_seq" -> {
                parameter.required(true);
                yield integer("The seq of a signed checkpoint below the head: the segment ends there");
            }
            default -> throw new IllegalStateException("no rule for the query parameter " + name + " of " + path);
        };
    }

    private static Schema text(String pattern, String description) {
        return OASFactory.createSchema().addType(SchemaType.STRING).pattern(pattern).description(description);
    }

    /** A whole number as the query reads it. */
    private static Schema integer(String description) {
        return OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64").minimum(LONG_MIN).maximum(LONG_MAX)
                .description(description);
    }

    /** An optional body field: absent and null mean the same. */
    private static Schema orNull(Schema schema) {
        return schema.addType(SchemaType.NULL);
    }

    private static Schema object(String description, List<String> required) {
        return OASFactory.createSchema().addType(SchemaType.OBJECT).description(description).required(required)
                .additionalPropertiesBoolean(Boolean.FALSE);
    }

    private static Schema leaseRequest() {
        return object("Renew or revoke a lease", List.of("lease_id"))
                .addProperty("lease_id", OASFactory.createSchema().addType(SchemaType.STRING).minLength(1)
                        .maxLength(LeaseRequest.MAX_LEASE_ID).pattern(NOT_BLANK).description("The lease to renew or revoke"))
                .addProperty("increment", orNull(OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64")
                        .minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(LeaseRequest.MAX_INCREMENT))
                        .description("Renew only: the extension asked for, in seconds; the backend may grant less."
                                + INTEGERS_ONLY)));
    }

    private static Schema writeRequest() {
        Schema data = OASFactory.createSchema().addType(SchemaType.OBJECT).minProperties(1).maxProperties(WriteRequest.MAX_FIELDS)
                .propertyNames(OASFactory.createSchema().addType(SchemaType.STRING).minLength(1)
                        .maxLength(WriteRequest.MAX_NAME).pattern(NOT_BLANK))
                .additionalPropertiesSchema(OASFactory.createSchema().addType(SchemaType.STRING).maxLength(WriteRequest.MAX_VALUE))
                .description("The fields of the new version: names that are not blank, values as text (a number or true is"
                        + " refused). The whole body is at most 16 KiB (413 BODY_TOO_LARGE).");
        return object("A new current version of a static secret", List.of("data")).addProperty("data", data);
    }

    private static Schema issueRequest() {
        return object("An API token to issue", List.of("name"))
                .addProperty("name", text("^" + TokenResource.NAME + "$", "The identity the token stands for; policies bind"
                        + " token:<name>"))
                .addProperty("ttl_seconds", orNull(OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64")
                        .minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(TokenResource.MAX_TTL))
                        .description("Lifetime in seconds; absent or null: until revoked." + INTEGERS_ONLY)));
    }

    private static Schema scheduleRequest() {
        return object("A rotation schedule", List.of("strategy", "schedule", "window_seconds"))
                .addProperty("secret", orNull(text(SECRET_REFERENCE, "<backend>/<path> of the secret to rotate: required on"
                        + " create, and on a change it may be left out and cannot differ").maxLength(RotationResource.MAX_SECRET)))
                .addProperty("strategy", text("^" + RotationResource.STRATEGY + "$", "random, key-pair, postgres-single-user"
                        + " or postgres-alternating-users; another name is 400 INVALID_STRATEGY"))
                .addProperty("parameters", orNull(OASFactory.createSchema().addType(SchemaType.OBJECT)
                        .maxProperties(RotationResource.MAX_PARAMETERS).description("The strategy's parameters (rotation.md):"
                                + " references and policies, never a value; ones the strategy does not take or cannot use"
                                + " are 400 INVALID_STRATEGY")))
                .addProperty("schedule", text("^" + RotationResource.SCHEDULE + "$", "rate(<n> minutes|hours|days) or a"
                        + " five-field cron expression in UTC; anything else is 400 INVALID_SCHEDULE"))
                .addProperty("window_seconds", OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64")
                        .minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(RotationResource.MAX_SECONDS))
                        .description("How long each window stays open; shorter than the run budget is 400 WINDOW_TOO_SHORT."
                                + INTEGERS_ONLY))
                .addProperty("jitter_seconds", orNull(OASFactory.createSchema().addType(SchemaType.INTEGER).format("int64")
                        .minimum(BigDecimal.ZERO).maximum(BigDecimal.valueOf(RotationResource.MAX_SECONDS))
                        .description("A random delay of up to this much into the window; 0 when absent." + INTEGERS_ONLY)));
    }

    /** A pattern for {@code word} in any mix of cases: ECMA-262 has no inline case-insensitive flag. */
    private static String anyCase(String word) {
        StringBuilder pattern = new StringBuilder();
        for (char c : word.toCharArray()) {
            pattern.append('[').append(Character.toUpperCase(c)).append(c).append(']');
        }
        return pattern.toString();
    }
}
