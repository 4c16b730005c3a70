package dev.lanyard.spi;

/** The path, version, role or lease does not exist in the backend. */
public final class SecretNotFoundException extends BackendException {
    public SecretNotFoundException(String backend, String operation, String path) {
        super(backend, operation, path, "not found", null);
    }
}
