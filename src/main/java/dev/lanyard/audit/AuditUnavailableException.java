package dev.lanyard.audit;

/** The audit record could not be made durable; the access it describes must not complete. */
public final class AuditUnavailableException extends RuntimeException {
    public AuditUnavailableException(Throwable cause) {
        super("audit log unavailable", cause, false, false);
    }
}
