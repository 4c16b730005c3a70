package dev.lanyard.broker;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** The caller already holds as many live leases as it may. */
public final class LeaseLimitException extends RuntimeException implements Refusable {
    public LeaseLimitException(int limit) {
        super("identity already holds " + limit + " live leases", null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.LEASE_LIMIT_EXCEEDED;
    }
}
