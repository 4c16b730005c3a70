package dev.lanyard.audit.store;

/** An auditor's or administrator's request the log cannot act on; the message says why, never echoing values. */
public final class InvalidAuditRequestException extends IllegalArgumentException {
    public InvalidAuditRequestException(String message) {
        super(message);
    }
}
