package dev.lanyard.backend.vault;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The mounts Vault said it has no handler for ({@code 404 {"errors":["no handler for route ..."]}}), and since when:
 * a disabled mount, or a Lanyard configured for a mount that was never enabled. Every secret under such a mount then
 * answers the same way, so it is the backend that is broken, not the secret: reads fail as unavailable and health says
 * which mount is missing. A later answer from the mount (found or not) clears it.
 */
final class MissingMounts {

    private final Map<String, Instant> since = new ConcurrentHashMap<>();

    void missing(String mount, Instant at) {
        since.putIfAbsent(mount, at);
    }

    void answered(String mount) {
        since.remove(mount);
    }

    Set<String> mounts() {
        return Set.copyOf(since.keySet());
    }

    /** The health reason: each missing mount and since when, in name order; empty when none is missing. */
    Optional<String> describe() {
        if (since.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder reason = new StringBuilder();
        new TreeMap<>(since).forEach((mount, at) -> reason.append(reason.isEmpty() ? "" : "; ")
                .append("mount '").append(mount).append("' is missing (Vault has no handler for it) since ").append(at));
        return Optional.of(reason.toString());
    }
}
