package dev.lanyard.broker;

/** The caller already holds as many live leases as it may. */
public final class LeaseLimitException extends RuntimeException {
    public LeaseLimitException(int limit) {
        super("identity already holds " + limit + " live leases", null, false, false);
    }
}
