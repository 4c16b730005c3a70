package dev.lanyard.rotation;

import java.util.Locale;

/**
 * Where a run is. The four steps follow AWS Secrets Manager's rotation protocol; {@link #ROLLBACK} undoes a run that
 * cannot finish, {@link #DONE} is the end either way.
 */
public enum Step {
    /** Generate the new value and store it as pending under the run's idempotency token. */
    CREATE,
    /** Apply the pending value to the target system (a database role's password). */
    SET,
    /** Prove the pending value works against the target; until it does, it is never promoted. */
    TEST,
    /** Promote pending to current; the old current becomes previous. */
    FINISH,
    /** Undo what a failed run did: the target back on the current value, the pending version unstaged. */
    ROLLBACK,
    DONE;

    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Step of(String spelling) {
        return valueOf(spelling.toUpperCase(Locale.ROOT));
    }

    Step next() {
        return switch (this) {
            case CREATE -> SET;
            case SET -> TEST;
            case TEST -> FINISH;
            case FINISH, ROLLBACK, DONE -> DONE;
        };
    }
}
