package dev.lanyard.k8s;

/**
 * The closed vocabulary of the Ready condition's reason (the CRD's enum) and of the controller's Events: dashboards,
 * alerts and people can rely on the list.
 */
enum Reason {
    Synced(true),
    DriftReverted(true),
    Pending(false),
    SyncFailed(false),
    BackendUnavailable(false),
    Denied(false),
    NotOwned(false),
    TargetNotFound(false),
    NotFoundPending(false),
    /** Confirmed not found; the Secret keeps its data (notFoundPolicy Retain). */
    NotFoundRetained(false),
    /** Confirmed not found; the missing values were removed (notFoundPolicy Merge or Delete). */
    NotFoundConfirmed(false),
    /** Confirmed not found, but the backend served no other secret since: nothing removed (see {@link RemovalGuard}). */
    RemovalRefused(false),
    InvalidSpec(false),
    RolloutRestartFailed(true);

    /** Whether the Secret holds the values the spec names (Ready True). */
    private final boolean ready;

    Reason(boolean ready) {
        this.ready = ready;
    }

    boolean ready() {
        return ready;
    }

    /** Whether an Event of this reason is a Warning. */
    boolean warning() {
        return !ready || this == RolloutRestartFailed;
    }
}
