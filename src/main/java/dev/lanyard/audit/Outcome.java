package dev.lanyard.audit;

import java.util.Locale;

/** How an audited action ended, from the auditor's point of view. */
public enum Outcome {
    SUCCESS, DENIED, UNAUTHENTICATED, INVALID, NOT_FOUND, FAILED;

    /** The lower-case spelling stored and exported: {@code success}, {@code not_found}. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }
}
