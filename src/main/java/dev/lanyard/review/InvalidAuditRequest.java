package dev.lanyard.review;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** An auditor's request the log cannot act on (a range it does not hold, archiving not configured): 400. */
final class InvalidAuditRequest extends RuntimeException implements Refusable {

    InvalidAuditRequest(String message) {
        super(message, null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.INVALID_QUERY;
    }
}
