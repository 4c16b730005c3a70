package dev.lanyard.access;

/** No policy allows the caller this capability on this path. */
public final class AccessDeniedException extends RuntimeException implements Refusable {

    public AccessDeniedException(String capability, String path) {
        super("not allowed to " + capability + " " + path, null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.ACCESS_DENIED;
    }
}
