package dev.lanyard.broker;

import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.Outcome;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.AuthenticationUnavailableException;
import dev.lanyard.auth.UnknownTokenException;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.WriteConflictException;
import java.util.Locale;

/**
 * What a failure means for the audit log, beside the events the broker builds: its stable problem code (which the
 * HTTP edge turns into a status), the auditor's outcome, and a detail safe to show anyone. Unknown failures become
 * {@code INTERNAL_ERROR}, which names nothing internal.
 */
public final class Failures {

    /** A failure, classified. */
    public record Refusal(String code, Outcome outcome, String detail) {}

    private Failures() {}

    public static Refusal of(Throwable failure) {
        return switch (failure) {
            case AuthenticationException e -> new Refusal("UNAUTHENTICATED", Outcome.UNAUTHENTICATED, "a valid bearer token is required");
            case AuthenticationUnavailableException e -> new Refusal("AUTHENTICATION_UNAVAILABLE", Outcome.FAILED,
                    "callers cannot be verified right now");
            case AccessDeniedException e -> new Refusal("ACCESS_DENIED", Outcome.DENIED, e.getMessage());
            case InvalidSecretPathException e -> new Refusal("INVALID_PATH", Outcome.INVALID, e.getMessage());
            case UnknownBackendException e -> new Refusal("BACKEND_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case SecretNotFoundException e -> new Refusal("SECRET_NOT_FOUND", Outcome.NOT_FOUND, "no such secret, version or role");
            case UnknownLeaseException e -> new Refusal("LEASE_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case UnknownTokenException e -> new Refusal("TOKEN_NOT_FOUND", Outcome.NOT_FOUND, e.getMessage());
            case UnsupportedBackendOperationException e -> new Refusal("OPERATION_NOT_SUPPORTED", Outcome.INVALID,
                    "this backend does not support " + e.operation() + " on this path");
            case LeaseLimitException e -> new Refusal("LEASE_LIMIT_EXCEEDED", Outcome.DENIED, e.getMessage());
            case WriteConflictException e -> new Refusal("WRITE_CONFLICT", Outcome.INVALID,
                    "the secret changed under this write (" + e.reason().name().toLowerCase(Locale.ROOT) + ")");
            case BackendRejectedException e -> new Refusal("BACKEND_REJECTED", Outcome.FAILED, "the backend refused Lanyard's request");
            case BackendUnavailableException e -> new Refusal("BACKEND_UNAVAILABLE", Outcome.FAILED, "the backend is unavailable");
            case AuditUnavailableException e -> new Refusal("AUDIT_UNAVAILABLE", Outcome.FAILED,
                    "the audit log cannot record this access, so it was refused");
            default -> new Refusal("INTERNAL_ERROR", Outcome.FAILED, "internal error");
        };
    }
}
