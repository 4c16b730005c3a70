package dev.lanyard.audit.store;

import java.time.Instant;
import java.util.Optional;

/**
 * What an auditor asks for. Every filter is optional; present filters are combined with AND.
 *
 * @param pathGlob    over {@code <backend>/<path>}: {@code *} within a segment, {@code **} across segments
 * @param leaseHmac   the lease fingerprint (the API turns a raw lease id into it)
 * @param afterSeq    cursor: only events after this sequence number
 * @param upToSeq     only events up to and including this sequence number
 */
public record AuditQuery(Optional<Instant> from, Optional<Instant> to, Optional<String> subject,
                         Optional<String> pathGlob, Optional<String> operation, Optional<String> outcome,
                         Optional<String> backend, Optional<String> leaseHmac, Optional<String> requestId,
                         Optional<Long> afterSeq, int limit, Optional<Long> upToSeq) {

    public static final int MAX_LIMIT = 1000;

    public AuditQuery {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT);
        }
    }

    public AuditQuery(Optional<Instant> from, Optional<Instant> to, Optional<String> subject, Optional<String> pathGlob,
                      Optional<String> operation, Optional<String> outcome, Optional<String> backend,
                      Optional<String> leaseHmac, Optional<String> requestId, Optional<Long> afterSeq, int limit) {
        this(from, to, subject, pathGlob, operation, outcome, backend, leaseHmac, requestId, afterSeq, limit, Optional.empty());
    }

    /** Every event after {@code afterSeq}. */
    public static AuditQuery after(long afterSeq) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(afterSeq), MAX_LIMIT,
                Optional.empty());
    }

    /** Every event after {@code afterSeq} up to and including {@code upToSeq}, for an export. */
    public static AuditQuery range(long afterSeq, long upToSeq) {
        return new AuditQuery(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(afterSeq), MAX_LIMIT,
                Optional.of(upToSeq));
    }
}
