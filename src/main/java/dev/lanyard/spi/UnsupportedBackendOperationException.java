package dev.lanyard.spi;

/** The backend type does not offer this operation (for example issuing from the local store). */
public final class UnsupportedBackendOperationException extends BackendException {
    public UnsupportedBackendOperationException(String backend, String operation, String path) {
        super(backend, operation, path, "not supported by this backend", null);
    }
}
