package dev.lanyard.audit;

import java.time.Instant;
import java.util.Optional;

/**
 * What an auditor asks for. Every filter is optional; present filters are combined with AND.
 *
 * @param pathGlob    over {@code <backend>/<path>}: {@code *} within a segment, {@code **} across segments
 * @param leaseHmac   the lease fingerprint (the API turns a raw lease id into it)
 * @param afterSeq    cursor: only events after this sequence number
 */
public record AuditQuery(Optional<Instant> from, Optional<Instant> to, Optional<String> subject,
                         Optional<String> pathGlob, Optional<String> operation, Optional<String> outcome,
                         Optional<String> backend, Optional<String> leaseHmac, Optional<String> requestId,
                         Optional<Long> afterSeq, int limit) {

    public static final int MAX_LIMIT = 1000;

    public AuditQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
    }
}
