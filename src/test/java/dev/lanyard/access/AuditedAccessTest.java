package dev.lanyard.access;

import static dev.lanyard.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.access.AuditedAccess.IfUnrecorded;
import dev.lanyard.access.AuditedAccess.Performed;
import dev.lanyard.audit.ActorKind;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.RecordingAuditLog;
import dev.lanyard.audit.Target;
import dev.lanyard.auth.Caller;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.Policies;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.support.TickingClock;
import io.opentelemetry.api.trace.TracerProvider;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one way an access is authorised, recorded with the status sent, and withheld when it cannot be recorded. */
class AuditedAccessTest {

    private static final Caller APP = Caller.apiToken("00000000000000aa", "app");
    private static final Target SECRET = Target.secret("kv", "team/db");

    private final TickingClock clock = new TickingClock();
    private final RecordingAuditLog log = new RecordingAuditLog();
    private final AuditedAccess audited = new AuditedAccess(
            Policies.builder().policy("app", List.of("token:app"), rule(List.of("kv/team/**"), "read")).engine(),
            log, clock, TracerProvider.noop().get("test"), 2);

    private static AccessContext api(Caller caller) {
        return AccessContext.http(caller, "req-1", "10.0.0.9");
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(2));
    }

    private static Refused refusedBy(Uni<?> uni) {
        try {
            await(uni);
        } catch (Refused refused) {
            return refused;
        }
        throw new AssertionError("expected a refusal");
    }

    @Test
    void anAllowedAccessIsRecordedWithTheSuccessStatusBeforeItsValueIsHandedBack() {
        String value = await(audited.run(api(APP), Capability.READ, AuditOperation.READ, SECRET, 201,
                () -> Uni.createFrom().item("the value")));

        assertThat(value).isEqualTo("the value");
        AuditEvent event = log.last();
        assertThat(event.result().outcome()).isEqualTo(Outcome.SUCCESS);
        assertThat(event.result().status()).isEqualTo(201);
        assertThat(event.subject()).isEqualTo("token:app");
        assertThat(event.clientAddress()).isEqualTo("10.0.0.9");
        assertThat(event.target()).isEqualTo(SECRET);
    }

    @Test
    void aDeniedAccessNeverRunsAndIsRecordedWithItsRefusalsStatus() {
        AtomicInteger ran = new AtomicInteger();
        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.READ, Target.secret("kv", "other/db"),
                200, () -> Uni.createFrom().item(ran.incrementAndGet())));

        assertThat(ran).hasValue(0);
        assertThat(refused.refusal()).isEqualTo(Refusal.ACCESS_DENIED);
        assertThat(refused.detail()).isEqualTo("not allowed to read kv/other/db");
        assertThat(refused.recorded()).isTrue();
        assertThat(log.events()).singleElement().satisfies(event -> {
            assertThat(event.result().outcome()).isEqualTo(Outcome.DENIED);
            assertThat(event.result().status()).isEqualTo(403);
            assertThat(event.result().errorCode()).isEqualTo("ACCESS_DENIED");
        });
    }

    @Test
    void theRecordNamesTheTargetTheActionLearned() {
        Target learned = SECRET.atVersion("7");
        await(audited.perform(api(APP), AuditOperation.READ, SECRET, 200,
                () -> Uni.createFrom().item(new Performed<>("v7", learned))));

        assertThat(log.last().target()).isEqualTo(learned);
    }

    @Test
    void everyKnownFailureIsRecordedAndAnsweredAsItsRefusal() {
        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.READ, SECRET, 200,
                () -> Uni.createFrom().failure(new BackendUnavailableException("kv", "read", "team/db", "connection refused", null))));

        assertThat(refused.refusal()).isEqualTo(Refusal.BACKEND_UNAVAILABLE);
        assertThat(refused.detail()).isEqualTo(Refusal.BACKEND_UNAVAILABLE.detail());
        assertThat(log.last().result().status()).isEqualTo(503);
        assertThat(log.last().result().errorCode()).isEqualTo("BACKEND_UNAVAILABLE");
    }

    /** A failure of a package above names its refusal itself; its message is the detail shown. */
    @Test
    void aRefusableFailureIsClassifiedByTheRefusalItNames() {
        final class Taken extends RuntimeException implements Refusable {
            Taken() {
                super("the schedule exists", null, false, false);
            }

            @Override
            public Refusal refusal() {
                return Refusal.SCHEDULE_EXISTS;
            }
        }
        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.ROTATION_SCHEDULE_CREATE, SECRET, 201,
                () -> Uni.createFrom().failure(new Taken())));

        assertThat(refused.refusal()).isEqualTo(Refusal.SCHEDULE_EXISTS);
        assertThat(refused.detail()).isEqualTo("the schedule exists");
        assertThat(log.last().result().status()).isEqualTo(409);
    }

    @Test
    void anUnexpectedFailureIsRecordedAsAnInternalErrorThatNamesNothingInternal() {
        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.READ, SECRET, 200,
                () -> Uni.createFrom().failure(new IllegalStateException("pool dev.lanyard.Secret@1f exhausted"))));

        assertThat(refused.refusal()).isEqualTo(Refusal.INTERNAL_ERROR);
        assertThat(refused.unexpected()).isTrue();
        assertThat(refused.detail()).isEqualTo("internal error");
        assertThat(refused.getCause()).hasMessageContaining("exhausted");
        assertThat(log.last().result().status()).isEqualTo(500);
    }

    @Test
    void whenTheRecordCannotBeWrittenTheValueIsWithheld() {
        log.failing(true);

        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.READ, SECRET, 200,
                () -> Uni.createFrom().item("the value")));

        assertThat(refused.refusal()).isEqualTo(Refusal.AUDIT_UNAVAILABLE);
        assertThat(refused.recorded()).isFalse();
        assertThat(refused.detail()).doesNotContain("the value");
        assertThat(log.events()).isEmpty();
    }

    @Test
    void aRefusalThatCannotBeRecordedIsStillAnsweredAsTheAuditLogsFailure() {
        log.failing(true);

        Refused refused = refusedBy(audited.run(api(APP), Capability.READ, AuditOperation.READ, Target.secret("kv", "x/y"),
                200, () -> Uni.createFrom().item(1)));

        assertThat(refused.refusal()).isEqualTo(Refusal.AUDIT_UNAVAILABLE);
        assertThat(refused.recorded()).isFalse();
    }

    /** Verification diagnoses the log: it must not depend on appending to it. */
    @Test
    void theLogsDiagnosisIsAnsweredWhileTheLogRefusesAndRecordedOnceItTakesAppends() {
        Caller auditor = Caller.apiToken("00000000000000bb", "auditor");
        AuditedAccess access = new AuditedAccess(Policies.builder().policy("auditor", List.of("token:auditor"),
                rule(List.of("audit/**"), "audit:read")).engine(), log, clock, TracerProvider.noop().get("test"), 2);
        log.failing(true);

        String verdict = await(access.runWhileUnrecordable(api(auditor), Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY,
                Target.audit("verify"), 200, () -> Uni.createFrom().item("broken at seq 9")));
        Refused denied = refusedBy(access.runWhileUnrecordable(api(APP), Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY,
                Target.audit("verify"), 200, () -> Uni.createFrom().item("never")));

        assertThat(verdict).isEqualTo("broken at seq 9");
        assertThat(denied.refusal()).as("a refusal is answered as itself, not as the log's failure")
                .isEqualTo(Refusal.ACCESS_DENIED);
        assertThat(log.events()).isEmpty();
        assertThat(await(access.recordDeferred())).as("still refusing: kept for later").isZero();

        log.failing(false);
        assertThat(await(access.recordDeferred())).isEqualTo(2);
        assertThat(log.events()).hasSize(2);
        assertThat(log.events().getFirst()).satisfies(event -> {
            assertThat(event.subject()).isEqualTo("token:auditor");
            assertThat(event.credentialId()).isEqualTo("00000000000000bb");
            assertThat(event.operation()).isEqualTo(AuditOperation.AUDIT_VERIFY);
            assertThat(event.result().status()).isEqualTo(200);
            assertThat(event.target().detail()).isEqualTo(AuditedAccess.RECORDED_LATE);
        });
        assertThat(log.events().getLast().result().errorCode()).isEqualTo("ACCESS_DENIED");
        assertThat(await(access.recordDeferred())).isZero();
    }

    @Test
    void recordsWaitingForTheLogAreBoundedAndPastTheBoundTheAnswerFailsClosed() {
        AuditedAccess access = new AuditedAccess(Policies.builder().policy("app", List.of("token:app"),
                rule(List.of("audit/**"), "audit:read")).engine(), log, clock, TracerProvider.noop().get("test"), 2);
        log.failing(true);
        for (int i = 0; i < AuditedAccess.MAX_DEFERRED; i++) {
            await(access.runWhileUnrecordable(api(APP), Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY,
                    Target.audit("verify"), 200, () -> Uni.createFrom().item("verdict")));
        }
        Refused refused = refusedBy(access.runWhileUnrecordable(api(APP), Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY,
                Target.audit("verify"), 200, () -> Uni.createFrom().item("verdict")));
        assertThat(refused.refusal()).isEqualTo(Refusal.AUDIT_UNAVAILABLE);
    }

    @Test
    void aSuccessfulAppendWritesTheRecordsThatWaitedBeforeIt() {
        AuditedAccess access = new AuditedAccess(Policies.builder().policy("app", List.of("token:app"),
                rule(List.of("audit/**"), "audit:read"), rule(List.of("kv/team/**"), "read")).engine(), log, clock,
                TracerProvider.noop().get("test"), 2);
        log.failing(true);
        await(access.runWhileUnrecordable(api(APP), Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY,
                Target.audit("verify"), 200, () -> Uni.createFrom().item("verdict")));
        log.failing(false);
        await(access.run(api(APP), Capability.READ, AuditOperation.READ, SECRET, 200, () -> Uni.createFrom().item("v")));
        assertThat(log.events()).extracting(AuditEvent::operation)
                .containsExactlyInAnyOrder(AuditOperation.READ, AuditOperation.AUDIT_VERIFY);
    }

    @Test
    void backgroundWorkIsRecordedWithoutAnHttpStatus() {
        AccessContext controller = AccessContext.controller(Caller.serviceAccount("team", "app"), "sync-1");
        refusedBy(audited.run(controller, Capability.READ, AuditOperation.READ, SECRET, 200, () -> Uni.createFrom().item(1)));

        assertThat(log.last().actorKind()).isEqualTo(ActorKind.CONTROLLER);
        assertThat(log.last().result().status()).isNull();
        assertThat(log.last().result().errorCode()).isEqualTo("ACCESS_DENIED");
    }

    @Test
    void anonymousRefusalsAreRecordedWithinTheirBudgetThenAnsweredRateLimited() {
        List<Refusal> sent = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(await(audited.refuse("r" + i, null, "10.0.0.66", AuditOperation.AUTHENTICATE, Refusal.UNAUTHENTICATED, null))
                    .refusal());
        }

        assertThat(sent).containsExactly(Refusal.UNAUTHENTICATED, Refusal.UNAUTHENTICATED, Refusal.RATE_LIMITED,
                Refusal.RATE_LIMITED, Refusal.RATE_LIMITED);
        assertThat(log.events()).extracting(event -> event.result().errorCode())
                .containsExactly("UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED");
        assertThat(log.events()).allSatisfy(event -> assertThat(event.subject()).isEqualTo(AuditedAccess.ANONYMOUS));
    }

    @Test
    void refusalsAnsweredWithoutARowAreCountedInOneAggregateRowOnceTheirMinuteIsOver() {
        for (int i = 0; i < 7; i++) {
            await(audited.refuse("r" + i, null, "10.0.0.77", AuditOperation.AUTHENTICATE, Refusal.UNAUTHENTICATED, null));
        }
        int rows = log.events().size();
        clock.advance(Duration.ofSeconds(61));
        await(audited.recordUnrecordedRefusals());

        assertThat(log.events()).hasSize(rows + 1);
        assertThat(log.last().operation()).isEqualTo(AuditOperation.UNRECORDED_REFUSALS);
        assertThat(log.last().clientAddress()).isEqualTo("10.0.0.77");
        assertThat(log.last().target().detail()).startsWith("4 refusals answered 429 without a row of their own");
    }

    @Test
    void aVerifiedCallersRefusalsAreNeverLimited() {
        for (int i = 0; i < 5; i++) {
            assertThat(await(audited.refuse("r" + i, api(APP), "10.0.0.9", AuditOperation.REQUEST, Refusal.NOT_FOUND, null))
                    .refusal()).isEqualTo(Refusal.NOT_FOUND);
        }
        assertThat(log.events()).hasSize(5).allSatisfy(event -> assertThat(event.subject()).isEqualTo("token:app"));
    }

    @Test
    void aFactThatMustBeRecordedStopsTheWorkWhenItCannotBe() {
        log.failing(true);
        AccessContext system = AccessContext.system("run-1");

        assertThatThrownBy(() -> audited.factNow(system, AuditOperation.ROTATION_SET, SECRET, Outcome.SUCCESS, null,
                IfUnrecorded.FAIL)).isInstanceOf(AuditUnavailableException.class);
        audited.factNow(system, AuditOperation.ROTATION_RUN, SECRET, Outcome.FAILED, "ROTATION_FAILED", IfUnrecorded.LOG);

        log.failing(false);
        audited.factNow(system, AuditOperation.ROTATION_RUN, SECRET, Outcome.FAILED, "ROTATION_FAILED", IfUnrecorded.FAIL);
        assertThat(log.last().actorKind()).isEqualTo(ActorKind.SYSTEM);
        assertThat(log.last().correlationId()).isEqualTo("run-1");
        assertThat(log.last().result().status()).isNull();
        assertThat(log.last().result().errorCode()).isEqualTo("ROTATION_FAILED");
    }

    @Test
    void everyRefusalHasAClientOrServerErrorStatusAndAnOutcomeThatIsNotSuccess() {
        for (Refusal refusal : Refusal.values()) {
            assertThat(refusal.status()).as(refusal.code()).isBetween(400, 599);
            assertThat(refusal.outcome()).as(refusal.code()).isNotEqualTo(Outcome.SUCCESS);
            assertThat(refusal.detail()).as(refusal.code()).isNotBlank();
        }
    }

    @Test
    void onTheVaultChannelABadTokenIsRecordedAsThe403VaultsClientsExpectAndTheRowSaysWhichWayItCame() {
        Refused refused = await(audited.refuse(AccessContext.Channel.VAULT, "req-v", null, "10.0.0.5", AuditOperation.AUTHENTICATE,
                Refusal.UNAUTHENTICATED, null));

        assertThat(refused.refusal()).isEqualTo(Refusal.UNAUTHENTICATED);
        AuditEvent event = log.last();
        assertThat(event.result().status()).isEqualTo(403);
        assertThat(event.result().outcome()).isEqualTo(Outcome.UNAUTHENTICATED);
        assertThat(event.result().errorCode()).isEqualTo("UNAUTHENTICATED");
        assertThat(event.target().detail()).isEqualTo("via vault-api");
    }

    @Test
    void onTheVaultChannelAnAccessIsRecordedWithItsTargetMarkedAndAnUnknownLeaseAsVaultsBadRequest() {
        AccessContext vault = AccessContext.vault(APP, "req-v2", "10.0.0.5");
        await(audited.run(vault, Capability.READ, AuditOperation.READ, SECRET, 200, () -> Uni.createFrom().item("v")));
        assertThat(log.last().target().detail()).isEqualTo("via vault-api");
        assertThat(log.last().target().path()).isEqualTo("team/db");
        assertThat(log.last().actorKind()).isEqualTo(ActorKind.CALLER);

        Refused refused = refusedBy(audited.perform(vault, AuditOperation.RENEW, Target.lease("fp"), 200,
                () -> Uni.createFrom().failure(new Refusable404())));
        assertThat(refused.refusal()).isEqualTo(Refusal.LEASE_NOT_FOUND);
        assertThat(log.last().result().status()).isEqualTo(400);
        assertThat(AccessContext.Channel.API.status(Refusal.LEASE_NOT_FOUND)).isEqualTo(404);
        assertThat(AccessContext.Channel.API.status(Refusal.UNAUTHENTICATED)).isEqualTo(401);
    }

    @Test
    void noChannelAnswersARefusalWith501WhichHvacReadsAsNotInitialised() {
        for (AccessContext.Channel channel : AccessContext.Channel.values()) {
            for (Refusal refusal : Refusal.values()) {
                assertThat(channel.status(refusal)).as(channel + " " + refusal).isNotEqualTo(501).isBetween(400, 599);
            }
        }
    }

    private static final class Refusable404 extends RuntimeException implements Refusable {
        @Override
        public Refusal refusal() {
            return Refusal.LEASE_NOT_FOUND;
        }
    }
}
