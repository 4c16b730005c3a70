package dev.lanyard.spi;

import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A version to add to a static secret with {@link SecretBackend#put}.
 *
 * @param value the fields to store. The caller owns it and closes it once the put completes; a backend copies what
 *              it needs and keeps no reference.
 * @param stage where the new version goes: {@link Stage#CURRENT} makes it the version plain reads serve (the former
 *              current becomes {@link Stage#PREVIOUS}); any other stage is placed on the new version only, and the
 *              put fails with {@link WriteConflictException.Reason#STAGE_TAKEN} if another version holds it (so there
 *              are never two pending versions unless the caller moved the old one first)
 * @param token an idempotency token: a put retried with the same token returns the version the first attempt made
 *              and makes no other, provided no put with another token came in between (a token the backend does not
 *              find is simply a new put); the same token with a different value fails with
 *              {@link WriteConflictException.Reason#TOKEN_REUSED}. 32 to 64 characters of letters, digits and hyphens
 *              (a UUID fits), which every backend accepts: AWS uses it as the new version's id.
 */
public record NewVersion(SecretValue value, Stage stage, Optional<String> token) {

    public static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9-]{32,64}");

    public NewVersion {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(token, "token");
        if (token.isPresent() && !TOKEN.matcher(token.get()).matches()) {
            throw new IllegalArgumentException("an idempotency token is 32 to 64 characters of [A-Za-z0-9-]");
        }
    }

    /** A new current version, as a plain write makes it. */
    public static NewVersion current(SecretValue value) {
        return new NewVersion(value, Stage.CURRENT, Optional.empty());
    }

    /** A new version holding {@code stage}, retried safely under {@code token}. */
    public static NewVersion staged(SecretValue value, Stage stage, String token) {
        return new NewVersion(value, stage, Optional.of(token));
    }

    public boolean becomesCurrent() {
        return stage.equals(Stage.CURRENT);
    }

    @Override
    public String toString() {
        return "NewVersion[" + value + ", stage=" + stage + ", token=" + (token.isPresent() ? "(given)" : "none") + "]";
    }
}
