package dev.lanyard.broker;

/** The first path segment names no configured backend. */
public final class UnknownBackendException extends RuntimeException {
    public UnknownBackendException(String backend) {
        super("no backend named '" + backend + "'", null, false, false);
    }
}
