package dev.lanyard.spi;

/**
 * A backend operation that did not succeed. Subtypes say how the caller should react; the message
 * names the operation, backend and path only, so it is safe to log and to show to a client.
 */
public abstract sealed class BackendException extends RuntimeException
        permits SecretNotFoundException, BackendUnavailableException, BackendRejectedException,
                UnsupportedBackendOperationException, WriteConflictException {

    private final String backend;
    private final String operation;
    private final String path;
    private final String explanation;

    protected BackendException(String backend, String operation, String path, String message, Throwable cause) {
        super(operation + " " + backend + "/" + path + ": " + message, cause, false, false);
        this.backend = backend;
        this.operation = operation;
        this.path = path;
        this.explanation = message;
    }

    /** What went wrong, without the operation and path: as safe as the whole message. */
    public String explanation() {
        return explanation;
    }

    public String backend() {
        return backend;
    }

    public String operation() {
        return operation;
    }

    public String path() {
        return path;
    }
}
