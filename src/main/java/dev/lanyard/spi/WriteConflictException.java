package dev.lanyard.spi;

/**
 * A write or stage move that would contradict what the backend holds now. Nothing was changed; the caller reads
 * again and decides. The message names the reason, never a value or a token.
 */
public final class WriteConflictException extends BackendException {

    /** Why the write was refused. */
    public enum Reason {
        /** The stage was not on the version the caller expected: someone moved it first. */
        STAGE_MOVED("the stage is not on the expected version"),
        /** Another version already holds the stage the put asked for (for example a second pending version). */
        STAGE_TAKEN("another version already holds this stage"),
        /** The idempotency token was used before for a different value. */
        TOKEN_REUSED("the idempotency token was used for a different value"),
        /** Another writer changed the secret between Lanyard's read and its write. */
        CONCURRENT_WRITE("the secret changed while it was being written");

        private final String description;

        Reason(String description) {
            this.description = description;
        }
    }

    private final Reason reason;

    public WriteConflictException(String backend, String operation, String path, Reason reason) {
        super(backend, operation, path, "conflict: " + reason.description, null);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
