package dev.lanyard.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.WriteConflictException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The stage rules KV v2 and the local store share, step by step, including what a crash between the three writes of
 * a staged put leaves behind. The contract suite checks the same rules end to end against the real stores.
 */
class NumberedStagesTest {

    private static final SecretPath PATH = SecretPath.of("secret/app/db");
    private static final String TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e";

    private static NumberedStages of(Map<String, String> entries) {
        return NumberedStages.of("vault", PATH, entries, "read");
    }

    private static NumberedStages nothing() {
        return of(Map.of());
    }

    @Test
    void withNothingRecordedCurrentIsTheLatestAndPreviousTheOneBefore() {
        NumberedStages stages = nothing();
        assertThat(stages.recorded()).isFalse();
        assertThat(stages.holder(Stage.CURRENT, 3)).hasValue(3);
        assertThat(stages.holder(Stage.PREVIOUS, 3)).hasValue(2);
        assertThat(stages.holder(Stage.PENDING, 3)).isEmpty();
        assertThat(stages.holder(Stage.PREVIOUS, 1)).isEmpty();
        assertThat(stages.holder(Stage.CURRENT, 0)).as("no versions, no current").isEmpty();
        assertThat(stages.stagesOf(2, 3)).containsExactly(Stage.PREVIOUS);
        assertThat(stages.entries()).isEmpty();
        assertThat(stages.putNeedsRecords(Stage.CURRENT, Optional.empty())).as("plain writes keep the rules by themselves").isFalse();
    }

    @Test
    void aStagedPutIsServedAsCurrentAtNoPointOfItsThreeWrites() {
        NumberedStages before = nothing();
        before.checkPut(Stage.PENDING, 4, "put");
        assertThat(before.putNeedsRecords(Stage.PENDING, Optional.of(TOKEN))).isTrue();

        // 1. The records, before the version: current pinned, the token remembered with the number it will get.
        NumberedStages prepared = before.prepared(4, Optional.of(TOKEN));
        NumberedStages reread = of(prepared.entries());
        assertThat(reread.holder(Stage.CURRENT, 4)).hasValue(4);
        assertThat(reread.versionPutWith(TOKEN)).hasValue(5);
        assertThat(reread.holder(Stage.PREVIOUS, 4)).as("what the rules implied is written down").hasValue(3);

        // 2. The version: it is the newest now, and still not current.
        assertThat(reread.holder(Stage.CURRENT, 5)).hasValue(4);
        assertThat(reread.putApplied(5, Stage.PENDING)).isFalse();

        // 3. The records after it.
        NumberedStages done = of(reread.afterPut(5, Stage.PENDING).entries());
        assertThat(done.putApplied(5, Stage.PENDING)).isTrue();
        assertThat(done.holder(Stage.PENDING, 5)).hasValue(5);
        assertThat(done.holder(Stage.CURRENT, 5)).hasValue(4);
        assertThat(done.versionPutWith(TOKEN)).as("a later retry still finds its version").hasValue(5);
        assertThat(done.versionPutWith("another-token-0000000000000000000000")).isEmpty();
    }

    @Test
    void aPlainPutAfterStagesWereRecordedMovesPreviousAndUnpinsCurrent() {
        NumberedStages recorded = of(Map.of(NumberedStages.MARKER, "1", "lanyard-stage-current", "2", "lanyard-stage-previous", "1"));
        assertThat(recorded.putNeedsRecords(Stage.CURRENT, Optional.empty())).isTrue();
        NumberedStages prepared = recorded.prepared(3, Optional.empty());
        assertThat(prepared.putApplied(4, Stage.CURRENT)).isFalse();

        NumberedStages done = of(prepared.afterPut(4, Stage.CURRENT).entries());
        assertThat(done.holder(Stage.CURRENT, 4)).hasValue(4);
        assertThat(done.holder(Stage.PREVIOUS, 4)).hasValue(2);
        assertThat(done.entries()).doesNotContainKey("lanyard-stage-current");
        assertThat(done.holder(Stage.CURRENT, 5)).as("a version written around Lanyard is served").hasValue(5);
    }

    @Test
    void aSecondPendingVersionOrAStagedPutOnNothingIsRefused() {
        NumberedStages pending = of(Map.of(NumberedStages.MARKER, "1", "lanyard-stage-current", "1", "lanyard-stage-pending", "2"));
        assertThatThrownBy(() -> pending.checkPut(Stage.PENDING, 2, "put"))
                .isInstanceOfSatisfying(WriteConflictException.class,
                        e -> assertThat(e.reason()).isEqualTo(WriteConflictException.Reason.STAGE_TAKEN));
        pending.checkPut(Stage.CURRENT, 2, "put");
        assertThatThrownBy(() -> nothing().checkPut(Stage.PENDING, 0, "put")).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void promotingMovesPreviousDropsPendingAndUnpinsWhenTheTargetIsTheLatest() {
        NumberedStages pending = of(Map.of(NumberedStages.MARKER, "1", "lanyard-stage-current", "1", "lanyard-stage-pending", "2"));
        NumberedStages promoted = pending.moved(StageMove.of(Stage.CURRENT, "1", "2"), 2, n -> true, "move").orElseThrow();
        assertThat(promoted.holder(Stage.CURRENT, 2)).hasValue(2);
        assertThat(promoted.holder(Stage.PREVIOUS, 2)).hasValue(1);
        assertThat(promoted.holder(Stage.PENDING, 2)).isEmpty();
        assertThat(promoted.entries()).doesNotContainKey("lanyard-stage-current");

        NumberedStages rolledBack = promoted.moved(StageMove.of(Stage.CURRENT, "2", "1"), 2, n -> true, "move").orElseThrow();
        assertThat(rolledBack.entries()).as("current pinned below the latest").containsEntry("lanyard-stage-current", "1");
        assertThat(rolledBack.moved(StageMove.of(Stage.CURRENT, "2", "1"), 2, n -> true, "move"))
                .as("a retried move changes nothing").isEmpty();
    }

    @Test
    void aMoveChecksTheHolderAndTheTarget() {
        NumberedStages stages = nothing();
        assertThatThrownBy(() -> stages.moved(StageMove.of(Stage.CURRENT, "2", "1"), 3, n -> true, "move"))
                .isInstanceOfSatisfying(WriteConflictException.class,
                        e -> assertThat(e.reason()).isEqualTo(WriteConflictException.Reason.STAGE_MOVED));
        assertThatThrownBy(() -> stages.moved(StageMove.place(Stage.PENDING, "7"), 3, n -> n <= 3, "move"))
                .isInstanceOf(SecretNotFoundException.class);
        assertThatThrownBy(() -> stages.moved(StageMove.place(Stage.PENDING, "seven"), 3, n -> true, "move"))
                .isInstanceOf(InvalidSecretPathException.class);
        NumberedStages removed = stages.moved(StageMove.remove(Stage.PREVIOUS, "2"), 3, n -> true, "move").orElseThrow();
        assertThat(removed.holder(Stage.PREVIOUS, 3)).as("a removed stage stays removed").isEmpty();
        assertThat(removed.recorded()).isTrue();
    }

    @Test
    void otherEntriesAreKeptAndOldLanyardEntriesReplaced() {
        Map<String, String> custom = Map.of("owner", "payments", NumberedStages.MARKER, "1", "lanyard-stage-blue", "1");
        NumberedStages stages = NumberedStages.of("vault", PATH, custom, "move");
        NumberedStages moved = stages.moved(StageMove.remove(Stage.of("blue"), "1"), 1, n -> true, "move").orElseThrow();
        assertThat(moved.mergedInto(custom)).containsEntry("owner", "payments").containsEntry(NumberedStages.MARKER, "1")
                .doesNotContainKey("lanyard-stage-blue");
        assertThat(stages.stagesOf(1, 1)).isEqualTo(Set.of(Stage.CURRENT, Stage.of("blue")));
    }

    @Test
    void recordsEditedIntoSomethingLanyardNeverWritesAreUnavailableNotGuessed() {
        for (Map<String, String> edited : new Map[] {
                Map.of(NumberedStages.MARKER, "1", "lanyard-stage-current", "two"),
                Map.of(NumberedStages.MARKER, "1", "lanyard-stage-current", "0"),
                Map.of(NumberedStages.MARKER, "1", "lanyard-stage-Current", "1"),
                Map.of("lanyard-put-token", TOKEN)}) {
            assertThatThrownBy(() -> of(edited)).as(edited.toString()).isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("stage records are unreadable");
        }
        assertThat(of(Map.of("lanyard-put-token", TOKEN, "lanyard-put-version", "3")).versionPutWith(TOKEN)).isEqualTo(OptionalInt.of(3));
    }
}
