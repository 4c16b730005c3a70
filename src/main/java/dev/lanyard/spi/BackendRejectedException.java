package dev.lanyard.spi;

/**
 * The backend refused the request (permission denied, invalid request). This is a fault in Lanyard's
 * own configuration or grant at the backend, not something the caller can fix.
 */
public final class BackendRejectedException extends BackendException {
    private final int status;

    public BackendRejectedException(String backend, String operation, String path, int status) {
        super(backend, operation, path, "rejected by backend (status " + status + ")", null);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
