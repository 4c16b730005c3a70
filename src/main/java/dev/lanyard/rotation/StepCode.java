package dev.lanyard.rotation;

/**
 * Why a rotation step did not succeed, as recorded on the run, its step record and its audit event. Each code is
 * either retried with backoff (the target or a backend may come back) or rolls the run back at once.
 */
enum StepCode {
    // Retried with backoff.
    STEP_TIMEOUT(true),
    INTERRUPTED(true),
    INTERNAL_ERROR(true),
    CONCURRENT_WRITE(true),
    BACKEND_UNAVAILABLE(true),
    AUDIT_UNAVAILABLE(true),
    TARGET_UNAVAILABLE(true),
    /** Another session held the role's row longer than the lock timeout; the statement was cancelled, nothing changed. */
    TARGET_LOCKED(true),
    /** The target declined TLS, failed verification, or asked for a login its declared security does not allow. */
    TARGET_INSECURE(true),
    TARGET_LOGIN_REFUSED(true),
    TEST_FAILED(true),
    /** Rollback could not make the current value log in again; retried until it does or the run is stuck. */
    CURRENT_NOT_RESTORED(true),
    // Roll the run back at once.
    PENDING_LOST(false),
    PENDING_REPLACED(false),
    UNTESTED(false),
    SECRET_CHANGED(false),
    SECRET_NOT_FOUND(false),
    BACKEND_NOT_FOUND(false),
    BACKEND_REJECTED(false),
    OPERATION_NOT_SUPPORTED(false),
    PENDING_VALUE_INVALID(false),
    CURRENT_VALUE_INVALID(false),
    ADMIN_SECRET_INVALID(false),
    KEY_GENERATION_FAILED(false),
    INVALID_STRATEGY(false),
    /** The schedule names a {@code jdbc_url} (no longer used) or a target no operator declared on this replica. */
    TARGET_NOT_DECLARED(false),
    /**
     * Not a step's failure but a fact of its rollback: the alternate role's password was set to the pending value and
     * no version of the secret holds its password from before, so nobody holds its password now.
     */
    ALTERNATE_UNRESTORED(false),
    // How a run ended, when no step's code says it.
    RUN_STUCK(false),
    ROTATION_FAILED(false);

    private final boolean retryable;

    StepCode(boolean retryable) {
        this.retryable = retryable;
    }

    boolean retryable() {
        return retryable;
    }
}
