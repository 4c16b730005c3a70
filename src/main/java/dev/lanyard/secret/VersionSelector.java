package dev.lanyard.secret;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Which version of a static secret to read: the current one (what a plain read serves), one by its backend
 * version id, or whichever version holds a stage.
 *
 * <p>Version ids are opaque: each backend parses its own (KV v2 and the local store number versions, AWS uses
 * UUIDs). Here an id is only checked to be something that can be recorded and compared safely; a backend refuses
 * an id it cannot parse with {@link InvalidSecretPathException}, before any call.
 */
public sealed interface VersionSelector {

    /** The shape every backend's ids fit (AWS's are 32 to 64 characters of letters, digits and hyphens). */
    Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** The version a plain read serves: the one holding {@link Stage#CURRENT}. */
    record Current() implements VersionSelector {
        @Override
        public String toString() {
            return "current";
        }
    }

    /** The version with this backend id. */
    record ById(String id) implements VersionSelector {
        public ById {
            Objects.requireNonNull(id, "id");
            if (!ID.matcher(id).matches()) {
                throw new InvalidSecretPathException("version must be 1 to 64 characters of [A-Za-z0-9_.-]");
            }
        }

        @Override
        public String toString() {
            return "version " + id;
        }
    }

    /** The version holding this stage; never {@link Stage#CURRENT}, which is {@link Current}. */
    record ByStage(Stage stage) implements VersionSelector {
        public ByStage {
            Objects.requireNonNull(stage, "stage");
            if (stage.equals(Stage.CURRENT)) {
                throw new IllegalArgumentException("the current stage is selected by VersionSelector.current()");
            }
        }

        @Override
        public String toString() {
            return "stage " + stage;
        }
    }

    VersionSelector CURRENT = new Current();

    static VersionSelector current() {
        return CURRENT;
    }

    /** A version by id; {@link InvalidSecretPathException} (a 400) when it cannot be any backend's id. */
    static VersionSelector id(String id) {
        return new ById(id);
    }

    /** The version holding {@code stage}; {@link Stage#CURRENT} gives {@link #current()}, so one read has one spelling. */
    static VersionSelector stage(Stage stage) {
        return stage.equals(Stage.CURRENT) ? CURRENT : new ByStage(stage);
    }
}
