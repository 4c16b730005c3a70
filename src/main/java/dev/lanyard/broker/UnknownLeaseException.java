package dev.lanyard.broker;

/** Lanyard did not issue this lease, or it has expired or been revoked. */
public final class UnknownLeaseException extends RuntimeException {
    public UnknownLeaseException() {
        super("lease not found", null, false, false);
    }
}
