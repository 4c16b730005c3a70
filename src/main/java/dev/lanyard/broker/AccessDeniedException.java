package dev.lanyard.broker;

/** No policy allows the caller this capability on this path. */
public final class AccessDeniedException extends RuntimeException {
    public AccessDeniedException(String capability, String path) {
        super("not allowed to " + capability + " " + path, null, false, false);
    }
}
