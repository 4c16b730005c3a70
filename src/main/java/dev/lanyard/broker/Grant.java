package dev.lanyard.broker;

import dev.lanyard.secret.Secret;
import java.time.Instant;

/**
 * What the broker hands out: a secret plus the times a client should act on.
 *
 * @param expiresAt    when the value stops being valid (lease expiry, or end of the cache window for static values)
 * @param refreshAfter a jittered point before expiry at which the client should fetch again, so a fleet
 *                     started together does not come back together
 */
public record Grant(Secret secret, Instant expiresAt, Instant refreshAfter) {}
