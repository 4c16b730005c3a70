package dev.lanyard.spi;

import dev.lanyard.secret.Stage;
import java.util.Objects;
import java.util.Optional;

/**
 * Moves {@code stage} from the version {@code from} to the version {@code to}, with {@link SecretBackend#moveStage}.
 *
 * <p>{@code from} is the holder the caller last saw (empty: nobody holds it), so a move that raced another fails with
 * {@link WriteConflictException.Reason#STAGE_MOVED} instead of undoing it. A move whose stage already sits on
 * {@code to} succeeds and changes nothing, so a retried move is idempotent.
 *
 * <p>Moving {@link Stage#CURRENT} also moves {@link Stage#PREVIOUS} to the version that was current, and takes
 * {@link Stage#PENDING} off the version being promoted: promoting a pending version ends its being pending.
 *
 * @param to the version to receive the stage; empty takes the stage off {@code from} (never allowed for current,
 *           which every secret has)
 */
public record StageMove(Stage stage, Optional<String> from, Optional<String> to) {

    public StageMove {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (to.isEmpty() && stage.equals(Stage.CURRENT)) {
            throw new IllegalArgumentException("current can be moved to another version but never removed");
        }
        if (to.isEmpty() && from.isEmpty()) {
            throw new IllegalArgumentException("a move needs a version to take the stage from or to give it to");
        }
    }

    /** Gives {@code stage}, held now by {@code from}, to {@code to}. */
    public static StageMove of(Stage stage, String from, String to) {
        return new StageMove(stage, Optional.of(from), Optional.of(to));
    }

    /** Gives {@code stage}, held by no version now, to {@code to}. */
    public static StageMove place(Stage stage, String to) {
        return new StageMove(stage, Optional.empty(), Optional.of(to));
    }

    /** Takes {@code stage} off {@code from} (for example a pending version rolled back). */
    public static StageMove remove(Stage stage, String from) {
        return new StageMove(stage, Optional.of(from), Optional.empty());
    }
}
