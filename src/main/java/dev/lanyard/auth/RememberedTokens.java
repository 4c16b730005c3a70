package dev.lanyard.auth;

import java.security.MessageDigest;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens recently read from their store, by id: who holds each, its secret's hash and its expiry, trusted for
 * {@code lanyard.auth.token-cache-ttl} after the read. API tokens and login tokens are verified through one of these each,
 * so a cached verification means the same for both: within the window, not expired, and the presented secret's hash
 * equal to the stored one. Only ids that exist are remembered (callers remember after a row was found), so probing
 * with random ids cannot grow the map; {@code limit} bounds it beyond that.
 */
final class RememberedTokens {

    private record Known(String holder, byte[] secretHash, Instant expiresAt, Instant readAt) {}

    private final AuthConfig config;
    private final int limit;
    private final ConcurrentHashMap<String, Known> known = new ConcurrentHashMap<>();

    RememberedTokens(AuthConfig config, int limit) {
        this.config = config;
        this.limit = limit;
    }

    /** Who holds the token {@code id}, if it was read recently, has not expired and its secret hashes to {@code presented}. */
    Optional<String> holder(String id, byte[] presented, Instant now) {
        Known cached = known.get(id);
        if (cached != null && now.isBefore(cached.readAt().plus(config.tokenCacheTtl()))
                && MessageDigest.isEqual(presented, cached.secretHash())
                && (cached.expiresAt() == null || now.isBefore(cached.expiresAt()))) {
            return Optional.of(cached.holder());
        }
        return Optional.empty();
    }

    /** A row just read from the store; {@code expiresAt} null when the token never expires. */
    void remember(String id, String holder, byte[] secretHash, Instant expiresAt, Instant readAt) {
        if (known.size() < limit || known.containsKey(id)) {
            known.put(id, new Known(holder, secretHash, expiresAt, readAt));
        }
    }

    /** The token was renewed: it is trusted until its new expiry, within the same window. */
    void extend(String id, Instant expiresAt) {
        known.computeIfPresent(id, (ignored, was) -> new Known(was.holder(), was.secretHash(), expiresAt, was.readAt()));
    }

    void forget(String id) {
        known.remove(id);
    }
}
