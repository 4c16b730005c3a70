package dev.lanyard.rotation;

import java.util.Locale;

/** How a run stands: in progress (claimable by any replica), ended either way, or left for an operator. */
public enum RunState {
    RUNNING, SUCCEEDED, FAILED,
    /** Its current step began longer ago than {@code lanyard.rotation.stuck-after}: no replica executes it any more. */
    STUCK;

    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    static RunState of(String spelling) {
        return valueOf(spelling.toUpperCase(Locale.ROOT));
    }
}
