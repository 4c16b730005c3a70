package dev.lanyard.k8s;

/**
 * A sync that cannot complete, with the reason the status reports and a message safe to show: it names resources,
 * backends and paths, never a value, token or vendor error text.
 */
final class SyncFailure extends RuntimeException {

    private final Reason reason;

    SyncFailure(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
