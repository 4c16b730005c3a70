package dev.lanyard.broker;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** The first path segment names no configured backend. */
public final class UnknownBackendException extends RuntimeException implements Refusable {
    public UnknownBackendException(String backend) {
        super("no backend named '" + backend + "'", null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.BACKEND_NOT_FOUND;
    }
}
