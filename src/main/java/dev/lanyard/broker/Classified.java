package dev.lanyard.broker;

import dev.lanyard.audit.AuditEvent.Outcome;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.AuthenticationUnavailableException;
import dev.lanyard.auth.UnknownTokenException;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;

/**
 * The one mapping from a failure to what the caller and the auditor see: HTTP status, stable error code,
 * audit outcome and a message safe to show. Unknown failures become a generic 500 that names nothing internal.
 */
public record Classified(int status, String code, Outcome outcome, String message) {

    public static final Classified SUCCESS = new Classified(200, null, Outcome.SUCCESS, null);

    public static Classified of(Throwable failure) {
        return switch (failure) {
            case null -> SUCCESS;
            case AuthenticationException e -> new Classified(401, "UNAUTHENTICATED", Outcome.UNAUTHENTICATED,
                    "a valid bearer token is required");
            case AccessDeniedException e -> new Classified(403, "ACCESS_DENIED", Outcome.DENIED, e.getMessage());
            case InvalidSecretPathException e -> new Classified(400, "INVALID_PATH", Outcome.INVALID, e.getMessage());
            case UnknownBackendException e -> new Classified(404, "BACKEND_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case SecretNotFoundException e -> new Classified(404, "SECRET_NOT_FOUND", Outcome.NOT_FOUND, "no such secret, version or role");
            case UnknownLeaseException e -> new Classified(404, "LEASE_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case UnknownTokenException e -> new Classified(404, "TOKEN_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case AuthenticationUnavailableException e -> new Classified(503, "AUTHENTICATION_UNAVAILABLE", Outcome.FAILED,
                    "callers cannot be verified right now");
            case UnsupportedBackendOperationException e -> new Classified(422, "OPERATION_NOT_SUPPORTED", Outcome.INVALID,
                    "this backend does not support " + e.operation() + " on this path");
            case LeaseLimitException e -> new Classified(429, "LEASE_LIMIT_EXCEEDED", Outcome.DENIED, e.getMessage());
            case BackendRejectedException e -> new Classified(502, "BACKEND_REJECTED", Outcome.FAILED,
                    "the backend refused Lanyard's request");
            case BackendUnavailableException e -> new Classified(503, "BACKEND_UNAVAILABLE", Outcome.FAILED,
                    "the backend is unavailable");
            case AuditUnavailableException e -> new Classified(503, "AUDIT_UNAVAILABLE", Outcome.FAILED,
                    "the audit log cannot record this access, so it was refused");
            default -> new Classified(500, "INTERNAL_ERROR", Outcome.FAILED, "internal error");
        };
    }
}
