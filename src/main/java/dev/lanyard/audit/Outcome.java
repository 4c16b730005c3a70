package dev.lanyard.audit;

import java.util.Locale;

/** How an audited action ended, from the auditor's point of view. */
public enum Outcome {
    SUCCESS, DENIED, UNAUTHENTICATED, INVALID, NOT_FOUND, FAILED,
    /**
     * Answered with the last good value because the backend could not be reached (stale-if-error): the status sent
     * is a success, the error code names why the value is not fresh.
     */
    STALE;

    /** The lower-case spelling stored and exported: {@code success}, {@code not_found}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }
}
