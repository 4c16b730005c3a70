package dev.lanyard.broker;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AccessDeniedException;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import io.opentelemetry.api.trace.TracerProvider;
import static dev.lanyard.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.audit.RecordingAuditLog;
import dev.lanyard.auth.Caller;
import dev.lanyard.policy.Policies;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.FakeBackend;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.support.TickingClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BrokerTest {

    private static final Duration WAIT = Duration.ofSeconds(2);

    /** The defaults the brief asks for, with a lease cap of 3 so it is reachable in a test. */
    record Config(Duration staticTtl, double refreshAt, double refreshJitter, int maxLeasesPerIdentity,
                  Duration defaultRenewIncrement, double breakerFailureRatio, int breakerVolume,
                  Duration breakerDelay, Duration issueHold, boolean relay, Duration staleIfError,
                  Duration staleRetryAfter, Duration backendTimeout) implements BrokerConfig {
        static Config defaults() {
            return new Config(Duration.ofSeconds(60), 0.66, 0.1, 3, Duration.ofHours(1), 0.5, 10, Duration.ofSeconds(5),
                    Duration.ofMinutes(1), false, Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(10));
        }

        Config relaying(boolean on) {
            return new Config(staticTtl, refreshAt, refreshJitter, maxLeasesPerIdentity, defaultRenewIncrement,
                    breakerFailureRatio, breakerVolume, breakerDelay, issueHold, on, staleIfError, staleRetryAfter,
                    backendTimeout);
        }

        Config staleFor(Duration maxAge) {
            return new Config(staticTtl, refreshAt, refreshJitter, maxLeasesPerIdentity, defaultRenewIncrement,
                    breakerFailureRatio, breakerVolume, breakerDelay, issueHold, relay, maxAge, staleRetryAfter,
                    backendTimeout);
        }
    }

    private static final Caller API = Caller.serviceAccount("payments", "api");
    private static final Caller WORKER = Caller.serviceAccount("payments", "worker");
    private static final Caller OPS = Caller.apiToken("00000000000000aa", "ops");
    private static final Caller STRANGER = Caller.serviceAccount("billing", "app");

    private static final SecretRef ROLE = SecretRef.of("fake", "creds/role");
    private static final String FIRST_LEASE = "fake/creds/role/1";

    private final TickingClock clock = new TickingClock();
    private final FakeBackend.Factory factory = new FakeBackend.Factory(clock, "fake", "sts")
            // Like AWS STS: issues credentials, and can neither renew nor revoke them.
            .capabilities("sts", Set.of(BackendCapability.ISSUE));
    private final BackendRegistry registry = BackendRegistry.build(List.of(factory));
    private final FakeBackend backend = factory.backend("fake");
    private final FakeBackend sts = factory.backend("sts");
    private final RecordingAuditLog audit = new RecordingAuditLog();
    private final InMemoryLeaseStore leases = new InMemoryLeaseStore();
    private final LeaseFingerprint fingerprint = new LeaseFingerprint(new byte[32]);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final AtomicInteger requests = new AtomicInteger();
    private final List<Object> announced = new ArrayList<>();

    private final Broker broker = broker(Config.defaults());

    /** A broker over this test's backends, policies, audit log, lease store and clock, configured as {@code config}. */
    private Broker broker(Config config) {
        return new Broker(registry, new AuditedAccess(
            Policies.builder()
                    .policy("payments", List.of("sa:payments/*"),
                            rule(List.of("fake/creds/**", "fake/kv/payments/**", "nope/**", "sts/**"), "read", "issue", "renew", "revoke", "write"))
                    .policy("ops", List.of("token:ops"), rule(List.of("fake/**"), "renew", "revoke", "lease:admin"))
                    .policy("billing", List.of("sa:billing/*"), rule(List.of("fake/kv/billing/**"), "read"))
                    .engine(),
            audit, clock, TracerProvider.noop().get("broker-test"), 60), leases, fingerprint, config, clock, new SplittableRandom(42), meters,
            new ChangeAnnouncer() {
                @Override
                public void announce(SecretChanged change) {
                    announced.add(change);
                }

                @Override
                public void announce(ChangesMissed missed) {
                    announced.add(missed);
                }
            }, TracerProvider.noop().get("broker-test"));
    }

    @AfterEach
    void closeRegistry() {
        registry.close();
    }

    private AccessContext as(Caller caller) {
        return AccessContext.http(caller, "req-" + requests.incrementAndGet(), "10.0.0.7");
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(WAIT);
    }

    private Grant issue(Caller caller, SecretRef ref) {
        return await(broker.issue(as(caller), ref));
    }

    private static String leaseId(Grant grant) {
        return grant.secret().lease().id().orElseThrow();
    }

    private double cacheRequests(String result) {
        Counter counter = meters.find("lanyard.cache.requests").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    // ----- policy -----

    @Test
    void deniedCallerGetsAccessDeniedAndADeniedAuditEvent() {
        AccessContext access = as(STRANGER);

        assertThatThrownBy(() -> await(broker.issue(access, ROLE)))
                .isInstanceOf(Refused.class).cause().isInstanceOf(AccessDeniedException.class)
                .hasMessage("not allowed to issue fake/creds/role");

        assertThat(backend.issueCalls()).isZero();
        assertThat(audit.events()).hasSize(1);
        AuditEvent event = audit.last();
        assertThat(event.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(event.result().status()).isEqualTo(403);
        assertThat(event.result().errorCode()).isEqualTo("ACCESS_DENIED");
        assertThat(event.subject()).isEqualTo("sa:billing/app");
        assertThat(event.operation()).isEqualTo(AuditOperation.ISSUE);
        assertThat(event.target().backend()).isEqualTo("fake");
        assertThat(event.target().path()).isEqualTo("creds/role");
        assertThat(event.correlationId()).isEqualTo(access.correlationId());
        assertThat(event.clientAddress()).isEqualTo("10.0.0.7");
        assertThat(event.target().leaseHmac()).isNull();
        assertThat(event.occurredAt()).isEqualTo(clock.instant());
    }

    @Test
    void cachedStaticValueIsStillNotServedToACallerWithoutReadPermission() {
        backend.putStatic("kv/payments/db", Map.of("password", "db-pass"));
        await(broker.read(as(API), SecretRef.of("fake", "kv/payments/db"), VersionSelector.current()));

        assertThatThrownBy(() -> await(broker.read(as(STRANGER), SecretRef.of("fake", "kv/payments/db"), VersionSelector.current())))
                .isInstanceOf(Refused.class).cause().isInstanceOf(AccessDeniedException.class);
        assertThat(audit.last().outcome()).isEqualTo(Outcome.DENIED);
        assertThat(backend.readCalls()).isEqualTo(1);
    }

    // ----- issue and the lease cache -----

    @Test
    void issuingTwiceForTheSameCallerCallsTheBackendOnceAndReturnsTheSameLease() {
        Grant first = issue(API, ROLE);
        Grant second = issue(API, ROLE);

        assertThat(backend.issueCalls()).isEqualTo(1);
        assertThat(leaseId(first)).isEqualTo(FIRST_LEASE);
        assertThat(second).isSameAs(first);
        assertThat(second.secret().value().field("password")).contains(FakeBackend.passwordOf(1));
        assertThat(cacheRequests("miss")).isEqualTo(1.0);
        assertThat(cacheRequests("hit")).isEqualTo(1.0);

        // One audit event per call, both naming the same lease by fingerprint.
        assertThat(audit.events()).hasSize(2)
                .allSatisfy(e -> {
                    assertThat(e.outcome()).isEqualTo(Outcome.SUCCESS);
                    assertThat(e.result().status()).isEqualTo(200);
                    assertThat(e.operation()).isEqualTo(AuditOperation.ISSUE);
                    assertThat(e.subject()).isEqualTo("sa:payments/api");
                    assertThat(e.target().leaseHmac()).isEqualTo(fingerprint.of(FIRST_LEASE));
                });
        assertThat(audit.events()).extracting(AuditEvent::correlationId).containsExactly("req-1", "req-2");
    }

    @Test
    void grantTimesFollowTheLeaseAndTheRefreshSchedule() {
        Instant issuedAt = clock.instant();
        Grant grant = issue(API, ROLE);

        Duration ttl = Duration.ofHours(1);
        assertThat(grant.expiresAt()).isEqualTo(issuedAt.plus(ttl));
        // refreshAt 0.66, jitter 0.1: between 56 % and 66 % of the hour.
        assertThat(grant.refreshAfter()).isBetween(issuedAt.plusSeconds(2016), issuedAt.plusSeconds(2376));
    }

    @Test
    void afterRefreshAfterTheSameCallerGetsANewLease() {
        Grant first = issue(API, ROLE);
        clock.advance(Duration.between(clock.instant(), first.refreshAfter()));

        Grant second = issue(API, ROLE);

        assertThat(backend.issueCalls()).isEqualTo(2);
        assertThat(leaseId(second)).isEqualTo("fake/creds/role/2");
    }

    @Test
    void twoCallersGetTwoLeases() {
        Grant api = issue(API, ROLE);
        Grant worker = issue(WORKER, ROLE);

        assertThat(backend.issueCalls()).isEqualTo(2);
        assertThat(leaseId(api)).isNotEqualTo(leaseId(worker));
        assertThat(leases.get(fingerprint.of(leaseId(api)))).get().extracting(LeaseRecord::owner).isEqualTo("sa:payments/api");
        assertThat(leases.get(fingerprint.of(leaseId(worker)))).get().extracting(LeaseRecord::owner).isEqualTo("sa:payments/worker");
    }

    @Test
    void auditEventsAndLeaseRecordsHoldNoSecretValueAndNoRawLeaseId() {
        Grant grant = issue(API, ROLE);
        String id = leaseId(grant);
        String password = FakeBackend.passwordOf(1);
        await(broker.renew(as(API), id, Optional.empty()));
        await(broker.revoke(as(API), id));

        assertThat(audit.events()).extracting(AuditEvent::operation).containsExactly(AuditOperation.ISSUE, AuditOperation.RENEW, AuditOperation.REVOKE);
        for (AuditEvent event : audit.events()) {
            assertThat(event.toString()).doesNotContain(password).doesNotContain(id).doesNotContain("user-1");
            assertThat(event.target().leaseHmac()).isEqualTo(fingerprint.of(id)).matches("[0-9a-f]{64}");
            assertThat(event.target().backend()).isEqualTo("fake");
            assertThat(event.target().path()).isEqualTo("creds/role");
            assertThat(event.outcome()).isEqualTo(Outcome.SUCCESS);
        }

        assertThat(leases.all()).hasSize(1);
        LeaseRecord record = leases.all().getFirst();
        assertThat(record.fingerprint()).isEqualTo(fingerprint.of(id));
        assertThat(record.toString()).doesNotContain(id).doesNotContain(password);
        assertThat(record.owner()).isEqualTo("sa:payments/api");
        assertThat(record.backend()).isEqualTo("fake");
        assertThat(record.path()).isEqualTo("creds/role");
    }

    @Test
    void auditFailureFailsTheIssueAndDeliversNoGrant() {
        audit.failing(true);

        CompletableFuture<Grant> result = broker.issue(as(API), ROLE).subscribeAsCompletionStage();

        assertThat(result).failsWithin(WAIT).withThrowableOfType(Exception.class)
                .havingCause().isInstanceOf(Refused.class).havingCause().isInstanceOf(AuditUnavailableException.class);
        assertThat(audit.events()).isEmpty();
    }

    /**
     * Two requests share one issue: the one that started it cannot record it, the other records it and holds the
     * credential. That credential is accounted for and must keep working; it is withdrawn only when nobody recorded it.
     */
    @Test
    void aCredentialAnotherRequestRecordedIsNotWithdrawnWhenTheIssuersRecordFails() {
        backend.holdIssues(true);
        AccessContext first = as(API);
        audit.failingFor(event -> event.correlationId().equals(first.correlationId()));
        CompletableFuture<Grant> issuer = broker.issue(first, ROLE).subscribeAsCompletionStage();
        CompletableFuture<Grant> joiner = broker.issue(as(API), ROLE).subscribeAsCompletionStage();
        backend.releaseIssues();

        assertThat(issuer).failsWithin(WAIT).withThrowableOfType(Exception.class)
                .havingCause().isInstanceOfSatisfying(Refused.class, refused -> assertThat(refused.recorded()).isFalse());
        Grant held = joiner.join();
        assertThat(backend.isRevoked(leaseId(held))).as("the joiner's recorded credential").isFalse();
        assertThat(await(leases.countLive("sa:payments/api", clock.instant()))).isEqualTo(1);
        assertThat(leaseId(issue(API, ROLE))).as("still served from the cache").isEqualTo(leaseId(held));
    }

    @Test
    void aCredentialNobodyCouldRecordIsWithdrawnOnceEveryHolderFailed() {
        backend.holdIssues(true);
        audit.failing(true);
        CompletableFuture<Grant> issuer = broker.issue(as(API), ROLE).subscribeAsCompletionStage();
        CompletableFuture<Grant> joiner = broker.issue(as(API), ROLE).subscribeAsCompletionStage();
        backend.releaseIssues();

        assertThat(issuer).failsWithin(WAIT);
        assertThat(joiner).failsWithin(WAIT);
        assertThat(backend.isRevoked(FIRST_LEASE)).isTrue();
        audit.failing(false);
        backend.holdIssues(false);
        assertThat(leaseId(issue(API, ROLE))).as("a fresh credential, not the withdrawn one").isNotEqualTo(FIRST_LEASE);
    }

    @Test
    void auditFailureWinsOverTheOriginalFailureToo() {
        audit.failing(true);

        assertThatThrownBy(() -> await(broker.issue(as(STRANGER), ROLE))).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);
        assertThatThrownBy(() -> await(broker.read(as(API), SecretRef.of("fake", "kv/payments/none"), VersionSelector.current())))
                .isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);
    }

    @Test
    void auditFailureFailsRenewAndRevokeToo() {
        String id = leaseId(issue(API, ROLE));
        audit.failing(true);

        assertThatThrownBy(() -> await(broker.renew(as(API), id, Optional.empty()))).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);
        assertThatThrownBy(() -> await(broker.revoke(as(API), id))).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);
    }

    // ----- renew and revoke -----

    @Test
    void holderRenewsWithTheDefaultIncrement() {
        String id = leaseId(issue(API, ROLE));
        clock.advance(Duration.ofMinutes(10));

        Lease renewed = await(broker.renew(as(API), id, Optional.empty()));

        assertThat(backend.renewCalls()).isEqualTo(1);
        assertThat(renewed.ttl()).isEqualTo(Duration.ofHours(1));
        assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        assertThat(leases.get(fingerprint.of(id))).get().extracting(LeaseRecord::expiresAt).isEqualTo(renewed.expiresAt());
    }

    @Test
    void renewByANonHolderIsAnUnknownLease() {
        String id = leaseId(issue(API, ROLE));

        assertThatThrownBy(() -> await(broker.renew(as(WORKER), id, Optional.empty())))
                .isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);

        assertThat(backend.renewCalls()).isZero();
        AuditEvent event = audit.last();
        assertThat(event.operation()).isEqualTo(AuditOperation.RENEW);
        assertThat(event.subject()).isEqualTo("sa:payments/worker");
        assertThat(event.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(event.result().errorCode()).isEqualTo("LEASE_NOT_FOUND");
        assertThat(event.target().leaseHmac()).isEqualTo(fingerprint.of(id));
    }

    @Test
    void revokeByANonHolderIsAnUnknownLeaseAndLeavesTheLeaseAlone() {
        String id = leaseId(issue(API, ROLE));

        assertThatThrownBy(() -> await(broker.revoke(as(WORKER), id))).isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);

        assertThat(backend.revokeCalls()).isZero();
        assertThat(backend.isRevoked(id)).isFalse();
        assertThat(leases.get(fingerprint.of(id))).get().extracting(LeaseRecord::revokedAt).isNull();
        assertThat(issue(API, ROLE)).extracting(BrokerTest::leaseId).isEqualTo(id);
    }

    @Test
    void aLeaseIdNobodyIssuedIsAnUnknownLease() {
        assertThatThrownBy(() -> await(broker.revoke(as(API), "fake/creds/role/999")))
                .isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);
        assertThat(audit.last().outcome()).isEqualTo(Outcome.NOT_FOUND);
    }

    /**
     * A read in flight while the secret changes took the old value: it may answer the requests that asked before the
     * change, but must not put the old value back in the cache, and a request after the change must not join it.
     */
    @Test
    void aReadInFlightWhileTheSecretChangesNeverPutsTheOldValueBackInTheCache() {
        SecretRef ref = SecretRef.of("fake", "kv/payments/raced");
        backend.putStatic("kv/payments/raced", Map.of("password", "old"));
        backend.holdReads(true);
        CompletableFuture<Grant> before = broker.read(as(API), ref, VersionSelector.current()).subscribeAsCompletionStage();
        backend.holdReads(false);

        String written = await(broker.write(as(API), ref, SecretValue.ofStrings(Map.of("password", "new"))));
        Grant after = await(broker.read(as(API), ref, VersionSelector.current()));
        backend.releaseReads();

        assertThat(before.join().secret().value().field("password")).contains("old");
        assertThat(after.secret().value().field("password")).as("a read after the change").contains("new");
        Grant next = await(broker.read(as(API), ref, VersionSelector.current()));
        assertThat(next.secret().value().field("password")).as("the cache after the old read finished").contains("new");
        assertThat(next.secret().version()).contains(written);
    }

    // ----- stale-if-error -----

    @Test
    void withoutStaleIfErrorAnUnreachableBackendIsAnsweredUnavailableOnceTheValueIsDue() {
        SecretRef ref = SecretRef.of("fake", "kv/payments/config");
        backend.putStatic("kv/payments/config", Map.of("url", "db.internal"));
        await(broker.read(as(API), ref, VersionSelector.current()));
        backend.failing(true);
        clock.advance(Duration.ofSeconds(61));

        Refused refused = (Refused) catchFailure(broker.read(as(API), ref, VersionSelector.current()));
        assertThat(refused.refusal()).isEqualTo(Refusal.BACKEND_UNAVAILABLE);
    }

    /**
     * With stale-if-error, a static secret whose backend went away is answered with its last good value while that
     * value is younger than the bound, audited as stale and told to come back soon; past the bound, 503.
     */
    @Test
    void theLastGoodStaticValueIsServedStaleWithinItsBoundAndAuditedAsStale() {
        Broker staleBroker = broker(Config.defaults().staleFor(Duration.ofMinutes(10)));
        SecretRef ref = SecretRef.of("fake", "kv/payments/config");
        backend.putStatic("kv/payments/config", Map.of("url", "db.internal"));
        Grant fresh = await(staleBroker.read(as(API), ref, VersionSelector.current()));
        backend.failing(true);
        clock.advance(Duration.ofMinutes(3));
        staleBroker.sweepCache();

        Grant stale = await(staleBroker.read(as(API), ref, VersionSelector.current()));
        assertThat(stale.stale()).isTrue();
        assertThat(stale.secret().value().field("url")).contains("db.internal");
        assertThat(stale.secret().version()).isEqualTo(fresh.secret().version());
        assertThat(stale.refreshAfter()).as("the next retry").isEqualTo(clock.instant().plus(Duration.ofSeconds(5)));
        assertThat(stale.expiresAt()).isEqualTo(fresh.secret().lease().issuedAt().plus(Duration.ofMinutes(10)));
        AuditEvent recorded = audit.last();
        assertThat(recorded.outcome()).isEqualTo(Outcome.STALE);
        assertThat(recorded.result().status()).isEqualTo(200);
        assertThat(recorded.result().errorCode()).isEqualTo("BACKEND_UNAVAILABLE");

        clock.advance(Duration.ofMinutes(8));
        staleBroker.sweepCache();
        Refused tooOld = (Refused) catchFailure(staleBroker.read(as(API), ref, VersionSelector.current()));
        assertThat(tooOld.refusal()).isEqualTo(Refusal.BACKEND_UNAVAILABLE);

        backend.failing(false);
        Grant back = await(staleBroker.read(as(API), ref, VersionSelector.current()));
        assertThat(back.stale()).isFalse();
        assertThat(audit.last().outcome()).isEqualTo(Outcome.SUCCESS);
    }

    /** Stale-if-error never hides a refusal that is not an outage, and never reaches a leased credential. */
    @Test
    void staleIfErrorServesOnlyStaticValuesAndOnlyWhenTheBackendIsUnreachable() {
        Broker staleBroker = broker(Config.defaults().staleFor(Duration.ofHours(1)));
        Grant credential = await(staleBroker.issue(as(API), ROLE));
        backend.failing(true);
        clock.advance(Duration.ofHours(2));
        staleBroker.sweepCache();
        Refused issue = (Refused) catchFailure(staleBroker.issue(as(API), ROLE));
        assertThat(issue.refusal()).isEqualTo(Refusal.BACKEND_UNAVAILABLE);
        assertThat(credential.expiresAt()).isBefore(clock.instant());

        backend.failing(false);
        SecretRef ref = SecretRef.of("fake", "kv/billing/config");
        backend.putStatic("kv/billing/config", Map.of("k", "v"));
        Refused denied = (Refused) catchFailure(staleBroker.read(as(API), ref, VersionSelector.current()));
        assertThat(denied.refusal()).as("a denial is a denial, outage or not").isEqualTo(Refusal.ACCESS_DENIED);
    }

    /** A lease the backend no longer knows (its token revoked) is gone for its holder: 404, and it stops counting. */
    @Test
    void aLeaseTheBackendLostIsAnsweredAsNotFoundAndNoLongerCounts() {
        String id = leaseId(issue(API, ROLE));
        backend.revokeOutOfBand(id);

        Refused renew = (Refused) catchFailure(broker.renew(as(API), id, Optional.empty()));
        assertThat(renew.refusal()).isEqualTo(Refusal.LEASE_NOT_FOUND);
        assertThat(audit.last().result().status()).isEqualTo(404);
        assertThat(await(leases.countLive("sa:payments/api", clock.instant()))).isZero();

        Refused revoke = (Refused) catchFailure(broker.revoke(as(API), id));
        assertThat(revoke.refusal()).isEqualTo(Refusal.LEASE_NOT_FOUND);
    }

    /**
     * An identity with no rights on the lease's path must not learn that a lease id exists: the broker promises to
     * "answer as if the lease did not exist, so lease ids cannot be probed". The answer for someone else's lease id
     * must therefore be the same as for an id nobody issued.
     */
    @Test
    void aStrangerCannotTellAnExistingLeaseFromAMissingOne() {
        String id = leaseId(issue(API, ROLE));

        Throwable missing = catchFailure(broker.renew(as(STRANGER), "fake/creds/role/999", Optional.empty()));
        Throwable existing = catchFailure(broker.renew(as(STRANGER), id, Optional.empty()));

        assertThat(missing).isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);
        assertThat(existing).isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);
        assertThat(existing).hasMessage(missing.getMessage());
        assertThat(backend.renewCalls()).isZero();
    }

    @Test
    void anAdminOfThePathMayRenewAndRevokeAnotherIdentitysLease() {
        String id = leaseId(issue(API, ROLE));
        clock.advance(Duration.ofMinutes(5));

        Lease renewed = await(broker.renew(as(OPS), id, Optional.of(Duration.ofMinutes(30))));
        assertThat(renewed.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
        assertThat(backend.renewCalls()).isEqualTo(1);

        await(broker.revoke(as(OPS), id));
        assertThat(backend.revokeCalls()).isEqualTo(1);
        assertThat(backend.isRevoked(id)).isTrue();
        assertThat(leases.get(fingerprint.of(id))).get().extracting(LeaseRecord::revokedAt).isEqualTo(clock.instant());
        assertThat(audit.events()).extracting(AuditEvent::subject, AuditEvent::operation, AuditEvent::outcome)
                .containsExactly(
                        tuple("sa:payments/api", AuditOperation.ISSUE, Outcome.SUCCESS),
                        tuple("token:ops", AuditOperation.RENEW, Outcome.SUCCESS),
                        tuple("token:ops", AuditOperation.REVOKE, Outcome.SUCCESS));
    }

    @Test
    void revokeEvictsTheCacheSoTheNextIssueCallsTheBackend() {
        String first = leaseId(issue(API, ROLE));

        await(broker.revoke(as(API), first));
        String second = leaseId(issue(API, ROLE));

        assertThat(backend.issueCalls()).isEqualTo(2);
        assertThat(second).isEqualTo("fake/creds/role/2").isNotEqualTo(first);
        // The revoked lease is gone for good.
        assertThatThrownBy(() -> await(broker.revoke(as(API), first))).isInstanceOf(Refused.class).cause().isInstanceOf(UnknownLeaseException.class);
        assertThat(backend.revokeCalls()).isEqualTo(1);
    }

    // ----- lease cap -----

    @Test
    void fourthLiveLeaseForOneIdentityIsRefused() {
        for (int i = 1; i <= 3; i++) {
            issue(API, SecretRef.of("fake", "creds/role" + i));
        }

        assertThatThrownBy(() -> issue(API, SecretRef.of("fake", "creds/role4")))
                .isInstanceOf(Refused.class).cause().isInstanceOf(LeaseLimitException.class)
                .hasMessage("identity already holds 3 live leases");

        assertThat(backend.issueCalls()).isEqualTo(3);
        AuditEvent refused = audit.last();
        assertThat(refused.outcome()).isEqualTo(Outcome.DENIED);
        assertThat(refused.result().status()).isEqualTo(429);
        assertThat(refused.result().errorCode()).isEqualTo("LEASE_LIMIT_EXCEEDED");

        // A lease already held is still served; another identity has its own budget.
        assertThat(leaseId(issue(API, SecretRef.of("fake", "creds/role1")))).isEqualTo("fake/creds/role1/1");
        assertThat(leaseId(issue(WORKER, SecretRef.of("fake", "creds/role4")))).isEqualTo("fake/creds/role4/4");
    }

    @Test
    void revokingALeaseFreesRoomUnderTheCap() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(leaseId(issue(API, SecretRef.of("fake", "creds/role" + i))));
        }
        await(broker.revoke(as(API), ids.getFirst()));

        assertThat(leaseId(issue(API, SecretRef.of("fake", "creds/role4")))).isEqualTo("fake/creds/role4/4");
    }

    @Test
    void expiredLeasesDoNotCountAgainstTheCap() {
        for (int i = 1; i <= 3; i++) {
            issue(API, SecretRef.of("fake", "creds/role" + i));
        }
        clock.advance(Duration.ofHours(1));

        assertThat(leaseId(issue(API, SecretRef.of("fake", "creds/role4")))).isEqualTo("fake/creds/role4/4");
    }

    /** The cap is "most live leases one identity may hold"; concurrent requests must not get around it. */
    @Test
    void leaseCapHoldsForConcurrentIssues() {
        backend.holdIssues(true);
        List<CompletableFuture<Grant>> pending = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            pending.add(broker.issue(as(API), SecretRef.of("fake", "creds/role" + i)).subscribeAsCompletionStage());
        }
        backend.releaseIssues();

        assertThat(pending).allMatch(CompletableFuture::isDone);
        long granted = pending.stream().filter(f -> !f.isCompletedExceptionally()).count();
        long refused = pending.stream().filter(f -> f.isCompletedExceptionally()
                && f.handle((ok, failure) -> failure).join() instanceof Refused r && r.getCause() instanceof LeaseLimitException).count();
        long live = await(leases.countLive("sa:payments/api", clock.instant()));
        // Exactly the cap: not more (the race), and not fewer (a check that refuses everything would pass "at most").
        assertThat(granted).isEqualTo(3);
        assertThat(refused).isEqualTo(2);
        assertThat(live).as("live leases held by one identity").isEqualTo(3);
        assertThat(backend.issueCalls()).as("refused requests never reached the backend").isEqualTo(3);
    }

    @Test
    void aPlaceUnderTheCapIsGivenBackWhenTheIssueFails() {
        backend.failing(true);
        // More failures than the cap (and fewer than would open the circuit breaker): each gives its place back.
        for (int i = 0; i < 4; i++) {
            int role = i;
            assertThatThrownBy(() -> issue(API, SecretRef.of("fake", "creds/role" + role)))
                    .isInstanceOfSatisfying(Refused.class, refused -> assertThat(refused.refusal()).isNotEqualTo(Refusal.LEASE_LIMIT_EXCEEDED));
        }
        backend.failing(false);
        for (int i = 1; i <= 3; i++) {
            issue(API, SecretRef.of("fake", "creds/other" + i));
        }
        assertThat(await(leases.countLive("sa:payments/api", clock.instant()))).isEqualTo(3);
    }

    @Test
    void aCredentialIssuedForARequestThatCannotBeAuditedIsRevokedAtOnce() {
        audit.failing(true);
        assertThatThrownBy(() -> issue(API, ROLE)).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);
        assertThat(backend.issueCalls()).isEqualTo(1);
        assertThat(backend.revokeCalls()).as("the unrecorded credential was given back").isEqualTo(1);
        assertThat(leases.all()).singleElement().satisfies(record -> assertThat(record.revokedAt()).isNotNull());

        audit.failing(false);
        issue(API, ROLE);
        assertThat(backend.issueCalls()).as("the withdrawn credential is not served from the cache").isEqualTo(2);
    }

    // ----- credentials without a lease id -----

    private static final SecretRef STS_ROLE = SecretRef.of("sts", "sts/deployer");

    @Test
    void aCredentialWithoutALeaseIdIsIssuedCachedPerCallerAndCountedUntilItExpires() {
        sts.unleased(true).ttl(Duration.ofMinutes(15));
        Instant issuedAt = clock.instant();
        Grant first = issue(API, STS_ROLE);

        assertThat(first.secret().lease().id()).isEmpty();
        assertThat(first.secret().lease().renewable()).isFalse();
        assertThat(first.expiresAt()).isEqualTo(issuedAt.plus(Duration.ofMinutes(15)));
        assertThat(issue(API, STS_ROLE)).as("cached for its caller").isSameAs(first);
        assertThat(issue(WORKER, STS_ROLE)).as("another caller gets its own").isNotSameAs(first);
        assertThat(sts.issueCalls()).isEqualTo(2);
        assertThat(leases.all()).hasSize(2).allSatisfy(record -> {
            assertThat(record.fingerprint()).startsWith(Broker.UNLEASED).doesNotContain(FakeBackend.passwordOf(1));
            assertThat(record.backend()).isEqualTo("sts");
            assertThat(record.path()).isEqualTo("sts/deployer");
            assertThat(record.expiresAt()).isEqualTo(issuedAt.plus(Duration.ofMinutes(15)));
        });
        assertThat(leases.all()).extracting(LeaseRecord::fingerprint).doesNotHaveDuplicates();
        assertThat(audit.events()).extracting(AuditEvent::outcome).containsOnly(Outcome.SUCCESS);

        issue(API, SecretRef.of("sts", "sts/reader"));
        issue(API, SecretRef.of("sts", "sts/auditor"));
        assertThatThrownBy(() -> issue(API, SecretRef.of("sts", "sts/fourth")))
                .as("they count against the caller's cap").isInstanceOf(Refused.class).cause().isInstanceOf(LeaseLimitException.class);

        clock.advance(Duration.ofMinutes(15));
        issue(API, SecretRef.of("sts", "sts/fourth"));
        assertThat(sts.issueCalls()).as("expired, so no longer counted").isEqualTo(5);
    }

    @Test
    void aCredentialWithoutALeaseIdThatCannotBeAuditedIsWithheldAndNotReportedRevoked() {
        sts.unleased(true);
        audit.failing(true);
        assertThatThrownBy(() -> issue(API, STS_ROLE)).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);

        assertThat(leases.all()).singleElement().satisfies(record -> {
            assertThat(record.fingerprint()).startsWith(Broker.UNLEASED);
            assertThat(record.revokedAt()).as("nothing revoked it: it stays valid until it expires").isNull();
        });
        assertThat(await(leases.countLive(API.subject(), clock.instant()))).isEqualTo(1);

        audit.failing(false);
        Grant next = issue(API, STS_ROLE);
        assertThat(sts.issueCalls()).as("the withheld credential is not served from the cache").isEqualTo(2);
        assertThat(next.secret().value().field("password")).contains(FakeBackend.passwordOf(2));
    }

    @Test
    void aLeaseFromABackendThatCannotRevokeIsNotReportedRevokedWhenItCannotBeAudited() {
        audit.failing(true);
        assertThatThrownBy(() -> issue(API, STS_ROLE)).isInstanceOf(Refused.class).cause().isInstanceOf(AuditUnavailableException.class);

        assertThat(leases.all()).singleElement().satisfies(record -> assertThat(record.revokedAt()).isNull());
        assertThat(await(leases.countLive(API.subject(), clock.instant()))).isEqualTo(1);
    }

    // ----- backends -----

    @Test
    void unknownBackendIsReportedAndAudited() {
        assertThatThrownBy(() -> issue(API, SecretRef.of("nope", "creds/role")))
                .isInstanceOf(Refused.class).cause().isInstanceOf(UnknownBackendException.class)
                .hasMessage("no backend named 'nope'");

        AuditEvent event = audit.last();
        assertThat(event.outcome()).isEqualTo(Outcome.NOT_FOUND);
        assertThat(event.result().status()).isEqualTo(404);
        assertThat(event.result().errorCode()).isEqualTo("BACKEND_NOT_FOUND");
        assertThat(event.target().backend()).isEqualTo("nope");
    }

    @Test
    void backendFailureIsAuditedAndNotCached() {
        backend.failing(true);
        assertThatThrownBy(() -> issue(API, ROLE)).isInstanceOf(Refused.class).cause().isInstanceOf(BackendUnavailableException.class);
        AuditEvent failed = audit.last();
        assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(failed.result().status()).isEqualTo(503);
        assertThat(failed.result().errorCode()).isEqualTo("BACKEND_UNAVAILABLE");
        assertThat(leases.all()).isEmpty();

        backend.failing(false);
        Grant grant = issue(API, ROLE);

        assertThat(backend.issueCalls()).isEqualTo(2);
        assertThat(leaseId(grant)).isEqualTo(FIRST_LEASE);
    }

    @Test
    void circuitOpensAfterRepeatedBackendFailuresAndStopsCallingTheBackend() {
        backend.failing(true);
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> issue(API, ROLE))
                    .isInstanceOf(Refused.class).cause().isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("told to fail");
        }
        assertThat(backend.issueCalls()).isEqualTo(10);

        assertThatThrownBy(() -> issue(API, ROLE))
                .isInstanceOf(Refused.class).cause().isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("circuit open");
        assertThat(backend.issueCalls()).isEqualTo(10);
        assertThat(audit.last().result().errorCode()).isEqualTo("BACKEND_UNAVAILABLE");
    }

    // ----- static reads -----

    @Test
    void staticValuesAreSharedByAllowedCallersUntilTheirRefreshPoint() {
        backend.putStatic("kv/payments/db", Map.of("password", "db-pass"));
        SecretRef ref = SecretRef.of("fake", "kv/payments/db");

        Grant first = await(broker.read(as(API), ref, VersionSelector.current()));
        Grant shared = await(broker.read(as(WORKER), ref, VersionSelector.current()));

        assertThat(first.secret().value().field("password")).contains("db-pass");
        assertThat(shared).isSameAs(first);
        assertThat(backend.readCalls()).isEqualTo(1);
        assertThat(first.expiresAt()).isEqualTo(clock.instant().plusSeconds(60));
        assertThat(audit.events()).extracting(e -> e.target().version()).containsExactly("1", "1");
        assertThat(audit.events()).extracting(e -> e.target().leaseHmac()).containsOnlyNulls();
        assertThat(audit.events()).allSatisfy(e -> assertThat(e.toString()).doesNotContain("db-pass"));

        clock.advance(Duration.ofSeconds(60));
        await(broker.read(as(API), ref, VersionSelector.current()));
        assertThat(backend.readCalls()).isEqualTo(2);
    }

    @Test
    void aWriteMakesANewCurrentVersionDropsCachedCopiesAndIsAnnouncedWithoutTheValue() {
        backend.putStatic("kv/payments/db", Map.of("password", "old-pass"));
        SecretRef ref = SecretRef.of("fake", "kv/payments/db");
        assertThat(await(broker.read(as(API), ref, VersionSelector.current())).secret().value().field("password")).contains("old-pass");

        String version;
        try (SecretValue value = SecretValue.ofStrings(Map.of("password", "new-pass"))) {
            version = await(broker.write(as(API), ref, value));
        }

        assertThat(version).isEqualTo("2");
        Grant after = await(broker.read(as(API), ref, VersionSelector.current()));
        assertThat(after.secret().value().field("password")).contains("new-pass");
        assertThat(backend.readCalls()).isEqualTo(2);
        assertThat(announced).singleElement().isInstanceOfSatisfying(SecretChanged.class, change -> {
            assertThat(change.ref()).isEqualTo(ref);
            assertThat(change.cause()).isEqualTo(SecretChanged.Cause.WRITTEN);
            assertThat(change.version()).contains("2");
            assertThat(change.local()).isTrue();
        });
        assertThat(audit.events()).extracting(AuditEvent::operation)
                .containsExactly(AuditOperation.READ, AuditOperation.WRITE, AuditOperation.READ);
        AuditEvent write = audit.events().get(1);
        assertThat(write.target().version()).isEqualTo("2");
        assertThat(write.result().status()).isEqualTo(200);
        assertThat(audit.events()).allSatisfy(e -> assertThat(e.toString()).doesNotContain("new-pass"));
    }

    @Test
    void aWriteWithoutTheCapabilityOrToABackendThatCannotWriteIsRefusedBeforeTheBackendAndAnnouncesNothing() {
        SecretRef billing = SecretRef.of("fake", "kv/billing/db");
        SecretRef stsRole = SecretRef.of("sts", "role");
        try (SecretValue value = SecretValue.ofStrings(Map.of("password", "p"))) {
            assertThatThrownBy(() -> await(broker.write(as(STRANGER), billing, value))).isInstanceOf(Refused.class).cause().isInstanceOf(AccessDeniedException.class);
            assertThatThrownBy(() -> await(broker.write(as(API), stsRole, value)))
                    .isInstanceOf(Refused.class).cause().isInstanceOf(UnsupportedBackendOperationException.class);
        }

        assertThat(backend.putCalls()).isZero();
        assertThat(sts.putCalls()).isZero();
        assertThat(announced).isEmpty();
        assertThat(audit.events()).extracting(e -> e.result().status()).containsExactly(403, 422);
        assertThat(audit.events()).extracting(e -> e.operation()).containsOnly(AuditOperation.WRITE);
    }

    @Test
    void aChangeRelayedFromAnotherReplicaDropsCachedValuesOfThatSecretOnly() {
        backend.putStatic("kv/payments/db", Map.of("password", "db-pass"));
        backend.putStatic("kv/payments/other", Map.of("password", "other-pass"));
        SecretRef ref = SecretRef.of("fake", "kv/payments/db");
        SecretRef other = SecretRef.of("fake", "kv/payments/other");
        await(broker.read(as(API), ref, VersionSelector.current()));
        await(broker.read(as(API), other, VersionSelector.current()));

        SecretChanged relayed = SecretChanged.rotated(ref, "7", clock.instant()).relayed();
        assertThat(broker.changed(relayed)).isEqualTo(1);
        assertThat(broker.changed(relayed)).isZero();

        await(broker.read(as(API), ref, VersionSelector.current()));
        await(broker.read(as(API), other, VersionSelector.current()));
        assertThat(backend.readCalls()).isEqualTo(3);
        assertThat(announced).containsExactly(relayed, relayed);
    }

    @Test
    void aRevokedLeaseIsAnnouncedByFingerprintAndARelayedRevocationDropsOnlyThatHoldersGrant() {
        String apiLease = leaseId(issue(API, ROLE));
        Grant worker = issue(WORKER, ROLE);

        await(broker.revoke(as(API), apiLease));
        assertThat(announced).singleElement().isInstanceOfSatisfying(SecretChanged.class, change -> {
            assertThat(change.cause()).isEqualTo(SecretChanged.Cause.LEASE_REVOKED);
            assertThat(change.ref()).isEqualTo(ROLE);
            assertThat(change.lease()).contains(fingerprint.of(apiLease));
            assertThat(change.toString()).doesNotContain(apiLease);
        });

        // Another replica revoked the worker's lease: this one must stop handing it out, and keep nobody else's.
        Grant api = issue(API, ROLE);
        assertThat(broker.changed(SecretChanged.leaseRevoked(ROLE, fingerprint.of(leaseId(worker)), clock.instant()).relayed()))
                .isEqualTo(1);
        assertThat(issue(API, ROLE)).isSameAs(api);
        assertThat(leaseId(issue(WORKER, ROLE))).isNotEqualTo(leaseId(worker));
    }

    @Test
    void missedChangesDropEveryCachedGrantAndAreAnnounced() {
        backend.putStatic("kv/payments/db", Map.of("password", "db-pass"));
        SecretRef ref = SecretRef.of("fake", "kv/payments/db");
        await(broker.read(as(API), ref, VersionSelector.current()));
        issue(API, ROLE);

        ChangesMissed missed = new ChangesMissed(clock.instant());
        assertThat(broker.changesMissed(missed)).isEqualTo(2);

        await(broker.read(as(API), ref, VersionSelector.current()));
        assertThat(backend.readCalls()).isEqualTo(2);
        assertThat(announced).containsExactly(missed);
    }

    private static Throwable catchFailure(Uni<?> uni) {
        try {
            uni.await().atMost(WAIT);
        } catch (CompletionException e) {
            return e.getCause();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }
}
