package dev.lanyard.audit;

import io.smallrye.config.ConfigMapping;

/** The audit log. */
@ConfigMapping(prefix = "lanyard.audit")
public interface AuditConfig {
    /**
     * Reference ({@code file:} or {@code env:}) to the base64 key, at least 32 bytes, for lease id fingerprints.
     * Keep it stable: changing it breaks correlation of a lease's events across the change.
     */
    String leaseHmacKey();
}
