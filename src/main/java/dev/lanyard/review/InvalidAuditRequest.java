package dev.lanyard.review;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/**
 * A well-formed auditor's request the log cannot act on as it is now (a range it does not hold, an archive point without
 * its signed checkpoint, archiving not configured): 409, not a malformed query.
 */
final class InvalidAuditRequest extends RuntimeException implements Refusable {

    InvalidAuditRequest(String message) {
        super(message, null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.LOG_STATE;
    }
}
