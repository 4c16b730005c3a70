package dev.lanyard.access;

import dev.lanyard.audit.Outcome;

/**
 * Every way Lanyard refuses or fails an access, once: the stable problem code callers branch on (the constant's name),
 * the HTTP status it is answered with, the outcome an auditor sees, and a detail safe to show anyone. A failure with a
 * more specific safe detail ({@link Refusable}) keeps its code and status and replaces only the detail.
 *
 * <p>A new way to refuse is a new constant here, never a string somewhere else: the REST layer renders a refusal as
 * problem+json and nothing more, the audit log records its code and status, and the OpenAPI document lists them.
 */
public enum Refusal {
    // The caller, and what the edge refuses before anything reads the request.
    UNAUTHENTICATED(401, Outcome.UNAUTHENTICATED, "a valid bearer token is required"),
    AUTHENTICATION_UNAVAILABLE(503, Outcome.FAILED, "callers cannot be verified right now"),
    ACCESS_DENIED(403, Outcome.DENIED, "not allowed"),
    RATE_LIMITED(429, Outcome.DENIED, "too many refused requests from this address; try again in a minute"),
    SHUTTING_DOWN(503, Outcome.FAILED, "this replica is shutting down; retry on another"),
    BAD_REQUEST(400, Outcome.INVALID, "the request is not well-formed HTTP"),
    INVALID_PATH(400, Outcome.INVALID,
            "the path must be printable ASCII without encoded characters, ';', '\\', '.' or '..' segments, or '//'"),
    INVALID_QUERY(400, Outcome.INVALID,
            "query parameters must be valid percent-encoded UTF-8 without control characters, separated by '&' only"),
    MALFORMED_BODY(400, Outcome.INVALID, "the request body is not valid JSON of the expected shape"),
    UNKNOWN_FIELD(400, Outcome.INVALID, "the request body has a field that is not documented"),
    DUPLICATE_FIELD(400, Outcome.INVALID, "a field appears more than once in the request body"),
    INVALID_REQUEST(400, Outcome.INVALID, "invalid request"),
    NOT_FOUND(404, Outcome.NOT_FOUND, "not found"),
    METHOD_NOT_ALLOWED(405, Outcome.INVALID, "method not allowed"),
    NOT_ACCEPTABLE(406, Outcome.INVALID, "not acceptable"),
    BODY_TOO_LARGE(413, Outcome.INVALID, "the request body is larger than 16 KiB"),
    URI_TOO_LONG(414, Outcome.INVALID, "the request target is longer than 8192 characters"),
    UNSUPPORTED_MEDIA_TYPE(415, Outcome.INVALID, "unsupported media type"),
    HEADERS_TOO_LARGE(431, Outcome.INVALID, "the request has more than 100 headers or more than 16384 bytes of them"),

    // Secrets, credentials and leases.
    BACKEND_NOT_FOUND(404, Outcome.NOT_FOUND, "no backend of that name"),
    SECRET_NOT_FOUND(404, Outcome.NOT_FOUND, "no such secret, version or role"),
    LEASE_NOT_FOUND(404, Outcome.NOT_FOUND, "lease not found"),
    TOKEN_NOT_FOUND(404, Outcome.NOT_FOUND, "token not found"),
    OPERATION_NOT_SUPPORTED(422, Outcome.INVALID, "this backend does not support the operation on this path"),
    LEASE_LIMIT_EXCEEDED(429, Outcome.DENIED, "the identity already holds as many live leases as it may"),
    WRITE_CONFLICT(409, Outcome.INVALID, "the secret changed under this write"),
    BACKEND_REJECTED(502, Outcome.FAILED, "the backend refused Lanyard's request"),
    BACKEND_UNAVAILABLE(503, Outcome.FAILED, "the backend is unavailable"),
    AUDIT_UNAVAILABLE(503, Outcome.FAILED, "the audit log cannot record this access, so it was refused"),

    // Rotation schedules and runs, as callers manage them.
    INVALID_SCHEDULE(400, Outcome.INVALID, "the schedule is neither a rate nor a cron expression"),
    WINDOW_TOO_SHORT(400, Outcome.INVALID, "the window is shorter than a run may need"),
    INVALID_STRATEGY(400, Outcome.INVALID, "the strategy is unknown or its parameters are wrong"),
    UNKNOWN_SECRET(404, Outcome.NOT_FOUND, "no such secret to rotate"),
    ROTATION_NOT_FOUND(404, Outcome.NOT_FOUND, "no such schedule or run"),
    SCHEDULE_EXISTS(409, Outcome.INVALID, "this secret already has a schedule"),
    RUN_IN_PROGRESS(409, Outcome.INVALID, "a run of this secret is in progress"),
    RUN_STATE(409, Outcome.INVALID, "the run is not in a state that allows this"),
    STRATEGY_NOT_SUPPORTED(422, Outcome.INVALID, "the secret's backend cannot stage versions, so it cannot rotate"),

    // The audit log, as auditors query and archive it.
    LOG_STATE(409, Outcome.INVALID, "the audit log is not in a state that allows this"),

    // Facts Lanyard records on its own account.
    TOKEN_REVOKED(403, Outcome.DENIED, "the token was revoked and stays revoked"),

    INTERNAL_ERROR(500, Outcome.FAILED, "internal error");

    private final int status;
    private final Outcome outcome;
    private final String detail;

    Refusal(int status, Outcome outcome, String detail) {
        this.status = status;
        this.outcome = outcome;
        this.detail = detail;
    }

    /** The HTTP status this refusal is answered with. */
    public int status() {
        return status;
    }

    /** The stable problem code: the constant's name. */
    public String code() {
        return name();
    }

    /** What an auditor sees. */
    public Outcome outcome() {
        return outcome;
    }

    /** A detail safe to show anyone, when the failure has no more specific one. */
    public String detail() {
        return detail;
    }

    /**
     * The refusal for a client error the HTTP layer or the REST framework produced on its own (an unknown route, a
     * method no endpoint serves, a media type it cannot read). Statuses without a constant of their own are a
     * malformed request.
     */
    public static Refusal forClientError(int status) {
        return switch (status) {
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 413 -> BODY_TOO_LARGE;
            case 414 -> URI_TOO_LONG;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 431 -> HEADERS_TOO_LARGE;
            default -> BAD_REQUEST;
        };
    }
}
