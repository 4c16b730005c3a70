package dev.lanyard.broker;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** Lanyard did not issue this lease, or it has expired or been revoked. */
public final class UnknownLeaseException extends RuntimeException implements Refusable {
    public UnknownLeaseException() {
        super("lease not found", null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.LEASE_NOT_FOUND;
    }
}
