package dev.lanyard.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * What every {@link SecretBackend} must do, as tests. A backend is done when a subclass of this class passes against
 * its real peer; the subclass only says how to reach the peer (see the abstract methods), never what to expect.
 *
 * <p>Every test holds for every backend: where a behaviour needs a capability, a backend that declares it must show
 * the behaviour, and one that does not must refuse the operation with {@link UnsupportedBackendOperationException}
 * before any I/O (checked against {@link #unreachableBackend()}, whose peer is down: an attempted call would fail as
 * unavailable instead). {@link #declaresExactlyTheCapabilitiesItsSubclassExpects} keeps a backend from passing by
 * declaring nothing.
 *
 * <p>Values written by these tests contain {@link #CANARY}; no failure's message, string form or cause may.
 *
 * <p>One instance per class, so a subclass may start its peer once in a non-static {@code @BeforeAll}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SecretBackendContract {

    protected static final Duration WAIT = Duration.ofSeconds(30);

    /** Part of every value these tests store: it must never show up in a failure. */
    protected static final String CANARY = "canary-" + UUID.randomUUID();

    // ---- what a subclass provides -------------------------------------------------------------------------------

    /** The backend under test, connected to its running peer; the same instance for every test. */
    protected abstract SecretBackend backend();

    /** Exactly the capabilities this backend is expected to declare. */
    protected abstract Set<BackendCapability> expectedCapabilities();

    /** A path no test has used, where a static secret may be stored. A new one on every call. */
    protected abstract SecretPath freshPath();

    /**
     * Stores {@code versions} at {@code path} oldest first, each in turn becoming current, by the peer's own means
     * rather than through {@link #backend()} (the {@code bao} CLI, the AWS SDK, another instance on the same local
     * store): what an operator or another tool does.
     *
     * @return the ids of the versions made, in the same order
     */
    protected abstract List<String> seed(SecretPath path, List<Map<String, String>> versions);

    /** A version id in this backend's own form that no version has. */
    protected abstract String absentVersionId();

    /** A version id (within {@link VersionSelector#ID}) that this backend cannot parse. */
    protected abstract String malformedVersionId();

    /**
     * Another instance of this backend whose peer cannot be reached (a closed port, a stopped server, a store that
     * cannot be opened); the same instance for every test.
     */
    protected abstract SecretBackend unreachableBackend();

    /** Paths where the peer refuses Lanyard (a Vault policy's deny); empty when the peer has no such notion. */
    protected abstract List<SecretPath> pathsThePeerRefuses();

    /** A role to issue credentials from; needed when the backend declares {@link BackendCapability#ISSUE}. */
    protected Optional<SecretPath> issuablePath() {
        return Optional.empty();
    }

    // ---- declaration -------------------------------------------------------------------------------------------

    @Test
    void declaresExactlyTheCapabilitiesItsSubclassExpects() {
        assertThat(backend().capabilities()).isEqualTo(expectedCapabilities());
        assertThat(unreachableBackend().capabilities()).isEqualTo(expectedCapabilities());
        assertThat(backend().name()).matches(BackendRegistry.VALID_NAME);
    }

    /** One check per capability the backend does not declare: none for a backend that declares them all. */
    @TestFactory
    Stream<DynamicTest> operationsItDoesNotDeclareAreRefusedBeforeAnyIo() {
        SecretPath path = freshPath();
        Set<BackendCapability> undeclared = EnumSet.allOf(BackendCapability.class);
        undeclared.removeAll(expectedCapabilities());
        return undeclared.stream().map(capability -> DynamicTest.dynamicTest(capability.name(), () -> {
            SecretBackend down = unreachableBackend();
            List<Uni<?>> calls = switch (capability) {
                case READ -> List.of(down.read(path, VersionSelector.current()));
                case VERSIONS -> List.of(down.read(path, VersionSelector.id(absentVersionId())));
                case STAGES -> List.of(down.read(path, VersionSelector.stage(Stage.PENDING)),
                        down.moveStage(path, StageMove.place(Stage.PENDING, absentVersionId())),
                        down.versions(path),
                        down.put(path, NewVersion.staged(canaryValue("refused"), Stage.PENDING, token())));
                case WRITE -> List.of(down.put(path, NewVersion.current(canaryValue("refused"))));
                case ISSUE -> List.of(down.issue(path));
                case RENEW -> List.of(down.renew("lease-" + CANARY, Duration.ofMinutes(1)));
                case REVOKE -> List.of(down.revoke("lease-" + CANARY));
            };
            for (Uni<?> call : calls) {
                Throwable refused = failure(call);
                assertThat(refused).as("refused without trying the peer").isInstanceOf(UnsupportedBackendOperationException.class);
                assertSafe(refused);
            }
        }));
    }

    // ---- reads ---------------------------------------------------------------------------------------------------

    @Test
    void readsTheCurrentVersionByDefault() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.READ, b -> b.read(path, VersionSelector.current()))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));
        assertThat(ids).hasSize(2).doesNotHaveDuplicates();

        Secret current = await(backend().read(path, VersionSelector.current()));
        assertThat(current.value().reveal()).isEqualTo(fields("second"));
        assertThat(current.version()).contains(ids.get(1));
        assertThat(current.ref().backend()).isEqualTo(backend().name());
        assertThat(current.ref().path()).isEqualTo(path);
        assertThat(current.lease().id()).as("a static value has no lease").isEmpty();
        assertThat(current.lease().renewable()).isFalse();
        assertThat(current.toString()).doesNotContain(CANARY);
    }

    @Test
    void aSecretThatDoesNotExistIsNotFound() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.READ, b -> b.read(path, VersionSelector.current()))) {
            return;
        }
        assertNotFound(backend().read(path, VersionSelector.current()), path);
    }

    @Test
    void readsEachVersionById() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.VERSIONS, b -> b.read(path, VersionSelector.id(absentVersionId())))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));
        for (int i = 0; i < ids.size(); i++) {
            Secret version = await(backend().read(path, VersionSelector.id(ids.get(i))));
            assertThat(version.value().reveal()).isEqualTo(fields(i == 0 ? "first" : "second"));
            assertThat(version.version()).contains(ids.get(i));
        }
    }

    @Test
    void aVersionThatDoesNotExistIsNotFound() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.VERSIONS, b -> b.read(path, VersionSelector.id(absentVersionId())))) {
            return;
        }
        seed(path, List.of(fields("first")));
        assertNotFound(backend().read(path, VersionSelector.id(absentVersionId())), path);
    }

    @Test
    void aMalformedVersionIdIsRefusedBeforeAnyIo() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.VERSIONS, b -> b.read(path, VersionSelector.id(malformedVersionId())))) {
            return;
        }
        assertThat(VersionSelector.ID.matcher(malformedVersionId()).matches()).as("malformed for the backend, not for the SPI").isTrue();
        assertThat(failure(unreachableBackend().read(path, VersionSelector.id(malformedVersionId()))))
                .isInstanceOf(InvalidSecretPathException.class);
        assertThat(failure(backend().read(path, VersionSelector.id(malformedVersionId()))))
                .isInstanceOf(InvalidSecretPathException.class);
    }

    @Test
    void readsByStageAfterPlainWritesAsCurrentAndPrevious() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.read(path, VersionSelector.stage(Stage.PREVIOUS)))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.PREVIOUS))).version()).contains(ids.get(0));
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.CURRENT))).version()).contains(ids.get(1));
        assertNotFound(backend().read(path, VersionSelector.stage(Stage.PENDING)), path);
    }

    @Test
    void listsVersionsOldestFirstWithTheirStages() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.versions(path))) {
            return;
        }
        assertNotFound(backend().versions(path), path);
        List<String> ids = seed(path, List.of(fields("first"), fields("second"), fields("third")));

        List<VersionInfo> versions = await(backend().versions(path));
        assertThat(versions).extracting(VersionInfo::id).containsExactlyElementsOf(ids);
        assertThat(stagesById(versions)).isEqualTo(Map.of(
                ids.get(0), Set.of(), ids.get(1), Set.of(Stage.PREVIOUS), ids.get(2), Set.of(Stage.CURRENT)));
    }

    // ---- stage moves ---------------------------------------------------------------------------------------------

    @Test
    void movingCurrentServesTheTargetAndMakesTheOldCurrentPrevious() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.moveStage(path, anyMove()))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second"), fields("third")));

        await(backend().moveStage(path, StageMove.of(Stage.CURRENT, ids.get(2), ids.get(0))));

        Secret current = await(backend().read(path, VersionSelector.current()));
        assertThat(current.version()).contains(ids.get(0));
        assertThat(current.value().reveal()).isEqualTo(fields("first"));
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.PREVIOUS))).version()).contains(ids.get(2));
        assertThat(stagesById(await(backend().versions(path)))).isEqualTo(Map.of(
                ids.get(0), Set.of(Stage.CURRENT), ids.get(1), Set.of(), ids.get(2), Set.of(Stage.PREVIOUS)));
    }

    @Test
    void aMoveFromAStaleHolderFailsWithAConflictAndChangesNothing() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.moveStage(path, anyMove()))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));

        Throwable stale = failure(backend().moveStage(path, StageMove.of(Stage.CURRENT, ids.get(0), ids.get(0))));
        assertThat(stale).isInstanceOfSatisfying(WriteConflictException.class,
                conflict -> assertThat(conflict.reason()).isEqualTo(WriteConflictException.Reason.STAGE_MOVED));
        assertTyped(stale, path);
        Throwable placedOverAHolder = failure(backend().moveStage(path, StageMove.place(Stage.PREVIOUS, ids.get(1))));
        assertThat(placedOverAHolder).as("previous is held, not free").isInstanceOfSatisfying(WriteConflictException.class,
                conflict -> assertThat(conflict.reason()).isEqualTo(WriteConflictException.Reason.STAGE_MOVED));
        assertThat(stagesById(await(backend().versions(path)))).isEqualTo(Map.of(
                ids.get(0), Set.of(Stage.PREVIOUS), ids.get(1), Set.of(Stage.CURRENT)));
    }

    @Test
    void ofTwoRacingMovesOneWinsAndTheOtherConflicts() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.moveStage(path, anyMove()))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second"), fields("third")));
        List<CompletableFuture<Void>> racers = List.of(
                backend().moveStage(path, StageMove.of(Stage.CURRENT, ids.get(2), ids.get(0))).subscribeAsCompletionStage(),
                backend().moveStage(path, StageMove.of(Stage.CURRENT, ids.get(2), ids.get(1))).subscribeAsCompletionStage());
        List<Integer> won = new ArrayList<>();
        for (int i = 0; i < racers.size(); i++) {
            Throwable lost = racers.get(i).handle((ok, failure) -> failure).orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
            if (lost == null) {
                won.add(i);
            } else {
                assertThat(lost instanceof CompletionException ? lost.getCause() : lost).isInstanceOf(WriteConflictException.class);
            }
        }
        assertThat(won).hasSize(1);
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(ids.get(won.getFirst()));
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.PREVIOUS))).version()).contains(ids.get(2));
    }

    @Test
    void aMoveRetriedAfterItSucceededChangesNothing() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.moveStage(path, anyMove()))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));
        StageMove rollBack = StageMove.of(Stage.CURRENT, ids.get(1), ids.get(0));

        await(backend().moveStage(path, rollBack));
        await(backend().moveStage(path, rollBack));

        assertThat(stagesById(await(backend().versions(path)))).isEqualTo(Map.of(
                ids.get(0), Set.of(Stage.CURRENT), ids.get(1), Set.of(Stage.PREVIOUS)));
    }

    @Test
    void aCustomStageIsPlacedMovedAndRemoved() {
        SecretPath path = freshPath();
        Stage blue = Stage.of("blue");
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.read(path, VersionSelector.stage(blue)))) {
            return;
        }
        List<String> ids = seed(path, List.of(fields("first"), fields("second")));

        await(backend().moveStage(path, StageMove.place(blue, ids.get(0))));
        assertThat(await(backend().read(path, VersionSelector.stage(blue))).value().reveal()).isEqualTo(fields("first"));
        await(backend().moveStage(path, StageMove.of(blue, ids.get(0), ids.get(1))));
        assertThat(await(backend().read(path, VersionSelector.stage(blue))).version()).contains(ids.get(1));
        assertThat(stagesById(await(backend().versions(path))).get(ids.get(1))).containsExactlyInAnyOrder(Stage.CURRENT, blue);

        await(backend().moveStage(path, StageMove.remove(blue, ids.get(1))));
        assertNotFound(backend().read(path, VersionSelector.stage(blue)), path);
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(ids.get(1));
    }

    @Test
    void aStageCannotBeMovedToAVersionThatDoesNotExist() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.STAGES, b -> b.moveStage(path, anyMove()))) {
            return;
        }
        assertNotFound(backend().moveStage(path, StageMove.place(Stage.PENDING, absentVersionId())), path);
        seed(path, List.of(fields("first")));
        assertNotFound(backend().moveStage(path, StageMove.place(Stage.PENDING, absentVersionId())), path);
    }

    // ---- writes --------------------------------------------------------------------------------------------------

    @Test
    void aPutMakesANewCurrentVersionAndTheOldCurrentPrevious() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.WRITE, b -> b.put(path, NewVersion.current(canaryValue("refused"))))) {
            return;
        }
        String first = put(path, NewVersion.current(canaryValue("first")));
        assertThat(await(backend().read(path, VersionSelector.current())).value().reveal()).isEqualTo(fields("first"));

        String second = put(path, NewVersion.current(canaryValue("second")));
        assertThat(second).isNotEqualTo(first);
        Secret current = await(backend().read(path, VersionSelector.current()));
        assertThat(current.version()).contains(second);
        assertThat(current.value().reveal()).isEqualTo(fields("second"));
        if (declares(BackendCapability.STAGES)) {
            assertThat(await(backend().read(path, VersionSelector.stage(Stage.PREVIOUS))).version()).contains(first);
        }
    }

    @Test
    void aPutRetriedWithTheSameTokenMakesNoSecondVersion() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.WRITE, b -> b.put(path, NewVersion.current(canaryValue("refused"))))) {
            return;
        }
        String before = put(path, NewVersion.current(canaryValue("before")));
        String token = token();
        NewVersion retried = new NewVersion(canaryValue("rotated"), Stage.CURRENT, Optional.of(token));

        String first = put(path, retried);
        String again = put(path, new NewVersion(canaryValue("rotated"), Stage.CURRENT, Optional.of(token)));

        assertThat(again).isEqualTo(first).isNotEqualTo(before);
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(first);
        if (declares(BackendCapability.STAGES)) {
            assertThat(await(backend().versions(path))).extracting(VersionInfo::id).containsExactly(before, first);
            assertThat(await(backend().read(path, VersionSelector.stage(Stage.PREVIOUS))).version())
                    .as("the retry did not move previous onto the new version").contains(before);
        }
        assertThat(put(path, NewVersion.current(canaryValue("rotated")))).as("without a token, a put is a new version")
                .isNotEqualTo(first);
    }

    @Test
    void theSameTokenForAnotherValueIsAConflict() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(BackendCapability.WRITE, b -> b.put(path, NewVersion.current(canaryValue("refused"))))) {
            return;
        }
        String token = token();
        String first = put(path, new NewVersion(canaryValue("one"), Stage.CURRENT, Optional.of(token)));

        Throwable reused = failure(backend().put(path, new NewVersion(canaryValue("two"), Stage.CURRENT, Optional.of(token))));
        assertThat(reused).isInstanceOfSatisfying(WriteConflictException.class,
                conflict -> assertThat(conflict.reason()).isEqualTo(WriteConflictException.Reason.TOKEN_REUSED));
        assertTyped(reused, path);
        assertThat(reused.getMessage()).doesNotContain(token);
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(first);
    }

    @Test
    void aPendingPutLeavesCurrentServedUntilItIsPromoted() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(EnumSet.of(BackendCapability.WRITE, BackendCapability.STAGES),
                b -> b.put(path, NewVersion.staged(canaryValue("refused"), Stage.PENDING, token())))) {
            return;
        }
        String current = seed(path, List.of(fields("current"))).getFirst();
        String token = token();
        String pending = put(path, NewVersion.staged(canaryValue("pending"), Stage.PENDING, token));
        assertThat(put(path, NewVersion.staged(canaryValue("pending"), Stage.PENDING, token)))
                .as("the create step retried after a crash").isEqualTo(pending);

        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(current);
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.PENDING))).value().reveal())
                .isEqualTo(fields("pending"));
        assertThat(stagesById(await(backend().versions(path)))).isEqualTo(Map.of(
                current, Set.of(Stage.CURRENT), pending, Set.of(Stage.PENDING)));

        await(backend().moveStage(path, StageMove.of(Stage.CURRENT, current, pending)));

        assertThat(await(backend().read(path, VersionSelector.current())).value().reveal()).isEqualTo(fields("pending"));
        assertNotFound(backend().read(path, VersionSelector.stage(Stage.PENDING)), path);
        assertThat(stagesById(await(backend().versions(path)))).as("promoting the pending version ends its being pending")
                .isEqualTo(Map.of(current, Set.of(Stage.PREVIOUS), pending, Set.of(Stage.CURRENT)));
    }

    @Test
    void thereAreNeverTwoPendingVersionsUnlessTheCallerMovesTheFirst() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(EnumSet.of(BackendCapability.WRITE, BackendCapability.STAGES),
                b -> b.put(path, NewVersion.staged(canaryValue("refused"), Stage.PENDING, token())))) {
            return;
        }
        String current = seed(path, List.of(fields("current"))).getFirst();
        String first = put(path, NewVersion.staged(canaryValue("first pending"), Stage.PENDING, token()));

        Throwable second = failure(backend().put(path, NewVersion.staged(canaryValue("second pending"), Stage.PENDING, token())));
        assertThat(second).isInstanceOfSatisfying(WriteConflictException.class,
                conflict -> assertThat(conflict.reason()).isEqualTo(WriteConflictException.Reason.STAGE_TAKEN));
        assertTyped(second, path);
        assertThat(await(backend().versions(path))).extracting(VersionInfo::id).containsExactly(current, first);

        // A rotation rolled back: the pending version loses its stage, the current one is still served.
        await(backend().moveStage(path, StageMove.remove(Stage.PENDING, first)));
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(current);
        String replacement = put(path, NewVersion.staged(canaryValue("second pending"), Stage.PENDING, token()));
        assertThat(await(backend().read(path, VersionSelector.stage(Stage.PENDING))).version()).contains(replacement);
        assertThat(await(backend().read(path, VersionSelector.current())).version()).contains(current);

        String plain = put(path, NewVersion.current(canaryValue("plain")));
        assertThat(stagesById(await(backend().versions(path)))).as("a plain put after a rollback promotes over the old current")
                .containsEntry(plain, Set.of(Stage.CURRENT)).containsEntry(current, Set.of(Stage.PREVIOUS))
                .containsEntry(replacement, Set.of(Stage.PENDING));
    }

    @Test
    void aStagedPutNeedsASecretThatExists() {
        SecretPath path = freshPath();
        if (refusedUnlessDeclared(EnumSet.of(BackendCapability.WRITE, BackendCapability.STAGES),
                b -> b.put(path, NewVersion.staged(canaryValue("refused"), Stage.PENDING, token())))) {
            return;
        }
        assertNotFound(backend().put(path, NewVersion.staged(canaryValue("pending"), Stage.PENDING, token())), path);
        assertNotFound(backend().read(path, VersionSelector.current()), path);
    }

    // ---- failures ------------------------------------------------------------------------------------------------

    @Test
    void anUnreachablePeerIsUnavailableAndItsFailuresNameNoValue() {
        SecretPath path = freshPath();
        SecretBackend down = unreachableBackend();
        List<Uni<?>> calls = new ArrayList<>();
        if (declares(BackendCapability.READ)) {
            calls.add(down.read(path, VersionSelector.current()));
        }
        if (declares(BackendCapability.WRITE)) {
            calls.add(down.put(path, NewVersion.current(canaryValue("unreachable"))));
        }
        if (declares(BackendCapability.STAGES)) {
            calls.add(down.versions(path));
        }
        if (declares(BackendCapability.ISSUE)) {
            calls.add(down.issue(issuable()));
        }
        assertThat(calls).as("a backend does at least one thing").isNotEmpty();
        for (Uni<?> call : calls) {
            Throwable unavailable = failure(call);
            assertThat(unavailable).isInstanceOf(BackendUnavailableException.class);
            assertSafe(unavailable);
        }
    }

    @Test
    void healthIsUpWhileThePeerIs() {
        BackendHealth health = await(backend().health());
        assertThat(health.up()).as(health.reason()).isTrue();
    }

    @Test
    void healthNeverFailsEvenWhenThePeerIsDown() {
        BackendHealth health = await(unreachableBackend().health());
        assertThat(health.up()).isFalse();
        assertThat(health.reason()).isNotBlank().doesNotContain(CANARY);
    }

    @TestFactory
    Stream<DynamicTest> aRefusalByThePeerIsTypedAndNamesNoValue() {
        return pathsThePeerRefuses().stream().map(path -> DynamicTest.dynamicTest(path.value(), () -> {
            List<Uni<?>> calls = new ArrayList<>();
            calls.add(backend().read(path, VersionSelector.current()));
            if (declares(BackendCapability.WRITE)) {
                calls.add(backend().put(path, NewVersion.current(canaryValue("refused"))));
            }
            for (Uni<?> call : calls) {
                Throwable refused = failure(call);
                assertThat(refused).isInstanceOf(BackendRejectedException.class);
                assertTyped(refused, path);
            }
        }));
    }

    // ---- issued credentials ---------------------------------------------------------------------------------------

    @Test
    void issuesACredentialThatExpires() {
        if (refusedUnlessDeclared(BackendCapability.ISSUE, b -> b.issue(freshPath()))) {
            return;
        }
        Secret issued = await(backend().issue(issuable()));
        try {
            assertThat(issued.value().fieldNames()).isNotEmpty();
            assertThat(issued.lease().ttl()).isPositive();
            assertThat(issued.lease().expiresAt()).isAfter(issued.lease().issuedAt());
            assertThat(issued.lease().id().isPresent()).as("a lease id exactly when the backend can renew or revoke it")
                    .isEqualTo(declares(BackendCapability.RENEW) || declares(BackendCapability.REVOKE));
            assertThat(issued.toString()).doesNotContain(issued.lease().id().orElse("no lease id"));
        } finally {
            issued.lease().id().filter(id -> declares(BackendCapability.REVOKE)).ifPresent(id -> await(backend().revoke(id)));
        }
    }

    @Test
    void renewsAndRevokesTheLeasesItIssues() {
        if (refusedUnlessDeclared(EnumSet.of(BackendCapability.ISSUE, BackendCapability.RENEW, BackendCapability.REVOKE),
                b -> b.renew("lease-" + CANARY, Duration.ofMinutes(1)))) {
            return;
        }
        Lease lease = await(backend().issue(issuable())).lease();
        String id = lease.id().orElseThrow();

        Lease renewed = await(backend().renew(id, Duration.ofMinutes(5)));
        assertThat(renewed.id()).contains(id);
        assertThat(renewed.ttl()).isPositive();

        await(backend().revoke(id));
        await(backend().revoke(id));
        Throwable afterRevoke = failure(backend().renew(id, Duration.ofMinutes(5)));
        assertThat(afterRevoke).isInstanceOf(SecretNotFoundException.class);
        assertThat(afterRevoke.getMessage()).doesNotContain(id);
    }

    @Test
    void aLeaseItNeverIssuedIsNotFoundAndNotEchoed() {
        String unknown = issuablePath().map(SecretPath::value).orElse("role") + "/" + UUID.randomUUID();
        if (refusedUnlessDeclared(BackendCapability.RENEW, b -> b.renew(unknown, Duration.ofMinutes(1)))) {
            return;
        }
        Throwable missing = failure(backend().renew(unknown, Duration.ofMinutes(1)));
        assertThat(missing).isInstanceOf(SecretNotFoundException.class);
        assertThat(missing.getMessage()).doesNotContain(unknown);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    protected final boolean declares(BackendCapability capability) {
        return expectedCapabilities().contains(capability);
    }

    /**
     * When the backend lacks one of {@code needed}, checks that {@code call} is refused before any I/O (against the
     * unreachable instance) and returns true: the test has then proved what it can for this backend.
     */
    private boolean refusedUnlessDeclared(Set<BackendCapability> needed, Function<SecretBackend, Uni<?>> call) {
        if (expectedCapabilities().containsAll(needed)) {
            return false;
        }
        Throwable refused = failure(call.apply(unreachableBackend()));
        assertThat(refused).as("refused without trying the peer").isInstanceOf(UnsupportedBackendOperationException.class);
        assertSafe(refused);
        assertThat(failure(call.apply(backend()))).isInstanceOf(UnsupportedBackendOperationException.class);
        return true;
    }

    private boolean refusedUnlessDeclared(BackendCapability needed, Function<SecretBackend, Uni<?>> call) {
        return refusedUnlessDeclared(EnumSet.of(needed), call);
    }

    private StageMove anyMove() {
        return StageMove.place(Stage.PENDING, absentVersionId());
    }

    private SecretPath issuable() {
        return issuablePath().orElseGet(() -> fail("a backend that declares ISSUE names a role to issue from"));
    }

    private String put(SecretPath path, NewVersion version) {
        try (SecretValue value = version.value()) {
            String id = await(backend().put(path, version));
            assertThat(id).matches(VersionSelector.ID);
            return id;
        }
    }

    private static Map<String, String> fields(String label) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("username", "app");
        fields.put("password", label + " " + CANARY);
        return fields;
    }

    private static SecretValue canaryValue(String label) {
        return SecretValue.ofStrings(fields(label));
    }

    private static String token() {
        return UUID.randomUUID().toString();
    }

    private static Map<String, Set<Stage>> stagesById(List<VersionInfo> versions) {
        Map<String, Set<Stage>> byId = new LinkedHashMap<>();
        versions.forEach(version -> byId.put(version.id(), version.stages()));
        return byId;
    }

    private void assertNotFound(Uni<?> call, SecretPath path) {
        Throwable missing = failure(call);
        assertThat(missing).isInstanceOf(SecretNotFoundException.class);
        assertTyped(missing, path);
    }

    /** A typed failure names this backend and the path, and nothing secret. */
    private void assertTyped(Throwable failure, SecretPath path) {
        assertThat(failure).isInstanceOfSatisfying(BackendException.class, typed -> {
            assertThat(typed.backend()).isEqualTo(backend().name());
            assertThat(typed.path()).isEqualTo(path.value());
            assertThat(typed.operation()).isNotBlank();
            assertThat(typed.getMessage()).contains(path.value());
        });
        assertSafe(failure);
    }

    /** Neither the failure nor anything it wraps shows a value these tests stored. */
    protected static void assertSafe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(CANARY);
            assertThat(t.toString()).doesNotContain(CANARY);
        }
    }

    protected static <T> T await(Uni<T> uni) {
        return uni.await().atMost(WAIT);
    }

    /** How {@code call} failed; it must fail. */
    protected static Throwable failure(Uni<?> call) {
        try {
            call.await().atMost(WAIT);
        } catch (CompletionException e) {
            return e.getCause();
        } catch (RuntimeException e) {
            return e;
        }
        return fail("expected the call to fail");
    }
}
