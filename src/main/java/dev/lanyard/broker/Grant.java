package dev.lanyard.broker;

import dev.lanyard.secret.Secret;
import java.time.Instant;

/**
 * What the broker hands out: a secret plus the times a client should act on.
 *
 * @param expiresAt    when the value stops being valid (lease expiry, or end of the cache window for static values)
 * @param refreshAfter a jittered point before expiry at which the client should fetch again, so a fleet
 *                     started together does not come back together
 * @param stale        the last good value of a static secret, served because its backend could not be reached
 *                     ({@code lanyard.broker.stale-if-error}); {@code refreshAfter} is then the next retry
 */
public record Grant(Secret secret, Instant expiresAt, Instant refreshAfter, boolean stale) {

    public Grant(Secret secret, Instant expiresAt, Instant refreshAfter) {
        this(secret, expiresAt, refreshAfter, false);
    }
}
