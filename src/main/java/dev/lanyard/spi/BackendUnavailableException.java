package dev.lanyard.spi;

/** The backend could not be reached or answered with a server error; retrying later may work. */
public final class BackendUnavailableException extends BackendException {
    public BackendUnavailableException(String backend, String operation, String path, String reason, Throwable cause) {
        super(backend, operation, path, reason, cause);
    }
}
