package dev.lanyard.secret;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named pointer to one version of a secret. Three are well known, and every backend maps them to its own notion
 * (AWS staging labels, KV v2 versions plus custom metadata, the local store's stage index): {@link #CURRENT}, what a
 * plain read serves; {@link #PENDING}, a new value not yet promoted (rotation's create step); {@link #PREVIOUS}, the
 * version that was current before the last promotion. Any other label is a custom stage, as AWS allows.
 *
 * <p>A stage points at no more than one version at a time; a version may hold several stages.
 */
public record Stage(String label) {

    /** Declared first: the constants below are checked against it as they are made. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** The version a plain read serves. Every secret that exists has one. */
    public static final Stage CURRENT = new Stage("current");
    /** A version written but not yet promoted. At most one per secret. */
    public static final Stage PENDING = new Stage("pending");
    /** The version that was current before the last promotion. */
    public static final Stage PREVIOUS = new Stage("previous");

    public Stage {
        Objects.requireNonNull(label, "label");
        if (!LABEL.matcher(label).matches()) {
            throw new InvalidSecretPathException("a stage is 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        String lower = label.toLowerCase(Locale.ROOT);
        boolean spellsWellKnown = lower.equals("current") || lower.equals("pending") || lower.equals("previous");
        if (spellsWellKnown && !lower.equals(label)) {
            // "Current" and "current" must not name two different stages.
            throw new InvalidSecretPathException("the stages current, pending and previous are spelled in lower case");
        }
    }

    /** The well-known stage of that name, or a custom one; {@link InvalidSecretPathException} (a 400) when malformed. */
    public static Stage of(String label) {
        return switch (Objects.requireNonNull(label, "label")) {
            case "current" -> CURRENT;
            case "pending" -> PENDING;
            case "previous" -> PREVIOUS;
            default -> new Stage(label);
        };
    }

    /** Whether this is one of {@link #CURRENT}, {@link #PENDING}, {@link #PREVIOUS}. */
    public boolean isWellKnown() {
        return equals(CURRENT) || equals(PENDING) || equals(PREVIOUS);
    }

    @Override
    public String toString() {
        return label;
    }
}
