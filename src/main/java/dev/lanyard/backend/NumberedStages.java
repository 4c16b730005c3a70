package dev.lanyard.backend;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.WriteConflictException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The stages of one secret in a backend that numbers its versions (Vault KV v2, the local store), kept as a few
 * string entries beside the versions: Vault stores them in the secret's {@code custom_metadata}, the local store in
 * its stage index file. One implementation of the stage rules, so both backends behave alike:
 *
 * <ul>
 *   <li><b>Nothing recorded</b> (a secret written only by plain writes, or before stages existed): current is the
 *       latest version and previous the one before it, as a sequence of plain writes makes them.</li>
 *   <li><b>Recorded</b> ({@value #MARKER} present): each stage is the version its entry names. Current is recorded
 *       only while it is not the latest version (a pending version was written after it, or a rollback left a newer
 *       version unpromoted); otherwise it is the latest, so a version written around Lanyard (for example with
 *       {@code bao kv put}) is served as it always was.</li>
 * </ul>
 *
 * <p>A put that needs the records is done in three writes, each complete on its own: {@link #prepared} (current
 * pinned where it is, and the put's token with the version number it will get), then the version, then
 * {@link #afterPut}. A crash after any of them leaves current where it was, and a retry under the same token finds
 * the version the first attempt wrote. Instances are immutable.
 */
public final class NumberedStages {

    /** Present once stages are recorded; its value is the format version. */
    public static final String MARKER = "lanyard-stages";
    static final String STAGE = "lanyard-stage-";
    static final String PUT_TOKEN = "lanyard-put-token";
    static final String PUT_VERSION = "lanyard-put-version";
    private static final String PREFIX = "lanyard-";

    private final String backend;
    private final SecretPath path;
    /** Stage label to version number; meaningful only when {@link #recorded}. */
    private final Map<String, Integer> stages;
    private final boolean recorded;
    private final Optional<String> putToken;
    private final int putVersion;

    private NumberedStages(String backend, SecretPath path, Map<String, Integer> stages, boolean recorded,
                           Optional<String> putToken, int putVersion) {
        this.backend = backend;
        this.path = path;
        this.stages = Collections.unmodifiableMap(stages);
        this.recorded = recorded;
        this.putToken = putToken;
        this.putVersion = putVersion;
    }

    /**
     * Reads the entries this class wrote from {@code entries}, ignoring any others (Vault's custom metadata is shared
     * with whoever else annotates the secret).
     *
     * @throws BackendUnavailableException when an entry is not one this class could have written: the records were
     *                                     edited by hand, and guessing could promote the wrong version
     */
    public static NumberedStages of(String backend, SecretPath path, Map<String, String> entries, String operation) {
        Map<String, Integer> stages = new LinkedHashMap<>();
        boolean recorded = entries.containsKey(MARKER);
        Optional<String> token = Optional.ofNullable(entries.get(PUT_TOKEN));
        int putVersion = 0;
        try {
            for (Map.Entry<String, String> entry : entries.entrySet()) {
                if (entry.getKey().startsWith(STAGE)) {
                    stages.put(Stage.of(entry.getKey().substring(STAGE.length())).label(), positive(entry.getValue()));
                }
            }
            if (token.isPresent()) {
                putVersion = positive(entries.get(PUT_VERSION));
            }
        } catch (IllegalArgumentException e) {
            throw new BackendUnavailableException(backend, operation, path.value(), "stage records are unreadable", null);
        }
        return new NumberedStages(backend, path, stages, recorded, token, putVersion);
    }

    private static int positive(String text) {
        int number = Integer.parseInt(String.valueOf(text));
        if (number <= 0) {
            throw new IllegalArgumentException("not a version number");
        }
        return number;
    }

    /** Whether any stage is recorded; when not, plain writes need not write the records at all. */
    public boolean recorded() {
        return recorded;
    }

    /** This class's entries, to store beside the versions. */
    public Map<String, String> entries() {
        Map<String, String> out = new LinkedHashMap<>();
        if (recorded) {
            out.put(MARKER, "1");
            stages.forEach((label, version) -> out.put(STAGE + label, String.valueOf(version)));
        }
        putToken.ifPresent(token -> {
            out.put(PUT_TOKEN, token);
            out.put(PUT_VERSION, String.valueOf(putVersion));
        });
        return out;
    }

    /** {@code others} without this class's old entries, plus its current ones: what to write back. */
    public Map<String, String> mergedInto(Map<String, String> others) {
        Map<String, String> out = new LinkedHashMap<>();
        others.forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                out.put(key, value);
            }
        });
        out.putAll(entries());
        return out;
    }

    /** The version holding {@code stage} when {@code latest} is the newest version (0: none). */
    public OptionalInt holder(Stage stage, int latest) {
        if (!recorded) {
            if (stage.equals(Stage.CURRENT) && latest > 0) {
                return OptionalInt.of(latest);
            }
            if (stage.equals(Stage.PREVIOUS) && latest > 1) {
                return OptionalInt.of(latest - 1);
            }
            return OptionalInt.empty();
        }
        Integer version = stages.get(stage.label());
        if (version != null) {
            return OptionalInt.of(version);
        }
        return stage.equals(Stage.CURRENT) && latest > 0 ? OptionalInt.of(latest) : OptionalInt.empty();
    }

    /** The stages {@code version} holds. */
    public Set<Stage> stagesOf(int version, int latest) {
        Set<Stage> held = new LinkedHashSet<>();
        for (Stage stage : knownStages()) {
            if (holder(stage, latest).equals(OptionalInt.of(version))) {
                held.add(stage);
            }
        }
        return held;
    }

    private Set<Stage> knownStages() {
        Set<Stage> known = new LinkedHashSet<>(Set.of(Stage.CURRENT, Stage.PENDING, Stage.PREVIOUS));
        stages.keySet().forEach(label -> known.add(Stage.of(label)));
        return known;
    }

    /** The version an earlier put under {@code token} was given, if it was the last put with a token. */
    public OptionalInt versionPutWith(String token) {
        return putToken.filter(token::equals).isPresent() ? OptionalInt.of(putVersion) : OptionalInt.empty();
    }

    /**
     * Whether a put of {@code stage} must go through the records: a token to remember, stages already recorded, or
     * a stage other than current. Otherwise a plain write keeps the nothing-recorded rules true by itself.
     */
    public boolean putNeedsRecords(Stage stage, Optional<String> token) {
        return recorded || token.isPresent() || !stage.equals(Stage.CURRENT);
    }

    /**
     * Checks that {@code stage} may be placed on a new version: a secret must exist before a stage other than current
     * can be added to it, and no other version may hold that stage (never two pending versions).
     */
    public void checkPut(Stage stage, int latest, String operation) {
        if (stage.equals(Stage.CURRENT)) {
            return;
        }
        if (latest == 0) {
            throw new SecretNotFoundException(backend, operation, path.value());
        }
        if (holder(stage, latest).isPresent()) {
            throw new WriteConflictException(backend, operation, path.value(), WriteConflictException.Reason.STAGE_TAKEN);
        }
    }

    /** The records to write before version {@code latest + 1} is: current pinned where it is, the token remembered. */
    public NumberedStages prepared(int latest, Optional<String> token) {
        Map<String, Integer> next = materialised(latest);
        holder(Stage.CURRENT, latest).ifPresent(current -> next.put(Stage.CURRENT.label(), current));
        return new NumberedStages(backend, path, next, true, token, token.isPresent() ? latest + 1 : 0);
    }

    /**
     * Whether a put of {@code stage} that made {@code version} has had its last records written: for current, the pin
     * {@link #prepared} set is gone; for another stage, the stage is on {@code version}.
     */
    public boolean putApplied(int version, Stage stage) {
        return stage.equals(Stage.CURRENT)
                ? !stages.containsKey(Stage.CURRENT.label())
                : Integer.valueOf(version).equals(stages.get(stage.label()));
    }

    /** The records after {@code version}, now the latest, was written as {@code stage} (see {@link #prepared}). */
    public NumberedStages afterPut(int version, Stage stage) {
        Map<String, Integer> next = new LinkedHashMap<>(stages);
        if (stage.equals(Stage.CURRENT)) {
            Integer current = next.remove(Stage.CURRENT.label());
            if (current != null && current != version) {
                next.put(Stage.PREVIOUS.label(), current);
            }
        } else {
            next.put(stage.label(), version);
        }
        return new NumberedStages(backend, path, next, true, putToken, putVersion);
    }

    /**
     * The records after {@code move}, or empty when the stage already sits on the target (a retried move).
     *
     * @param readable whether a version exists and may be read
     * @throws WriteConflictException  {@link WriteConflictException.Reason#STAGE_MOVED} when the stage is not on
     *                                 {@code move.from()}
     * @throws SecretNotFoundException when the target version does not exist
     */
    public Optional<NumberedStages> moved(StageMove move, int latest, IntPredicate readable, String operation) {
        OptionalInt actual = holder(move.stage(), latest);
        OptionalInt to = move.to().map(NumberedVersions::parse).map(OptionalInt::of).orElse(OptionalInt.empty());
        OptionalInt from = move.from().map(NumberedVersions::parse).map(OptionalInt::of).orElse(OptionalInt.empty());
        if (actual.equals(to)) {
            return Optional.empty();
        }
        if (!actual.equals(from)) {
            throw new WriteConflictException(backend, operation, path.value(), WriteConflictException.Reason.STAGE_MOVED);
        }
        if (to.isPresent() && !readable.test(to.getAsInt())) {
            throw new SecretNotFoundException(backend, operation, path.value());
        }
        Map<String, Integer> next = materialised(latest);
        if (move.stage().equals(Stage.CURRENT)) {
            int target = to.getAsInt();
            next.put(Stage.PREVIOUS.label(), from.getAsInt());
            if (Integer.valueOf(target).equals(next.get(Stage.PENDING.label()))) {
                next.remove(Stage.PENDING.label());
            }
            if (target == latest) {
                next.remove(Stage.CURRENT.label());
            } else {
                next.put(Stage.CURRENT.label(), target);
            }
        } else if (to.isPresent()) {
            next.put(move.stage().label(), to.getAsInt());
        } else {
            next.remove(move.stage().label());
        }
        return Optional.of(new NumberedStages(backend, path, next, true, putToken, putVersion));
    }

    /** The stages as explicit records: what the nothing-recorded rules implied, written down. */
    private Map<String, Integer> materialised(int latest) {
        if (recorded) {
            return new LinkedHashMap<>(stages);
        }
        Map<String, Integer> explicit = new LinkedHashMap<>();
        holder(Stage.PREVIOUS, latest).ifPresent(previous -> explicit.put(Stage.PREVIOUS.label(), previous));
        return explicit;
    }
}
