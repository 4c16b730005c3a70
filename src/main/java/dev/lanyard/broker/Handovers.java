package dev.lanyard.broker;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who was handed a freshly issued credential, until it is settled whether any of them recorded it. A credential whose
 * issue could not be recorded is withdrawn (revoked) — but only once every request that was handed it failed to record
 * it: the requests that joined the same load, or were served it from the cache meanwhile, and recorded it hold a
 * credential the audit log accounts for, and revoking it would leave them holding a dead login.
 *
 * <p>Only credentials issued by this process and not yet settled are tracked, so the common case (nothing tracked)
 * costs one emptiness check.
 */
final class Handovers {

    private static final class Handover {
        /** Requests that were handed it and have not yet learnt whether their record was written. */
        int holders;
        boolean recorded;
        boolean withdrawn;
        final Instant expiresAt;

        Handover(int holders, Instant expiresAt) {
            this.holders = holders;
            this.expiresAt = expiresAt;
        }
    }

    private final Map<Grant, Handover> open = new ConcurrentHashMap<>();

    /** A credential was just issued for a load that {@code waiting} requests (its issuer included) were waiting for. */
    void issued(Grant grant, int waiting) {
        open.put(grant, new Handover(waiting, grant.expiresAt()));
    }

    /**
     * A request was handed {@code grant}. {@code counted}: it waited for the load that issued it (already counted by
     * {@link #issued}); otherwise it was served from the cache.
     *
     * @return false when the credential was withdrawn meanwhile and must not be handed out
     */
    boolean take(Grant grant, boolean counted) {
        if (open.isEmpty()) {
            return true;
        }
        Handover handover = open.get(grant);
        if (handover == null) {
            return true;
        }
        synchronized (handover) {
            if (handover.withdrawn) {
                return false;
            }
            if (!counted) {
                handover.holders++;
            }
            return true;
        }
    }

    /** A request handed {@code grant} recorded it: it is accounted for and never withdrawn. */
    void recorded(Grant grant) {
        if (open.isEmpty()) {
            return;
        }
        Handover handover = open.remove(grant);
        if (handover != null) {
            synchronized (handover) {
                handover.recorded = true;
            }
        }
    }

    /**
     * A request handed {@code grant} could not record it.
     *
     * @return true when it was the last holder and nobody recorded it: the caller withdraws it now
     */
    boolean unrecorded(Grant grant) {
        Handover handover = open.get(grant);
        if (handover == null) {
            return false;
        }
        synchronized (handover) {
            handover.holders--;
            if (handover.recorded || handover.withdrawn || handover.holders > 0) {
                return false;
            }
            handover.withdrawn = true;
            return true;
        }
    }

    /** Forgets withdrawn and expired credentials (the cache no longer serves them). */
    void sweep(Instant now) {
        open.values().removeIf(handover -> {
            synchronized (handover) {
                return handover.withdrawn || !now.isBefore(handover.expiresAt);
            }
        });
    }

    int tracked() {
        return open.size();
    }
}
