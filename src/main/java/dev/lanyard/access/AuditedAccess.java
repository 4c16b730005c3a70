package dev.lanyard.access;

import dev.lanyard.access.AccessContext.Channel;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.Result;
import dev.lanyard.audit.Target;
import dev.lanyard.auth.AuthenticationException;
import dev.lanyard.auth.AuthenticationUnavailableException;
import dev.lanyard.auth.UnknownTokenException;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.WriteConflictException;
import dev.lanyard.support.Spans;
import io.opentelemetry.api.trace.Tracer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Lanyard's defining act, in one place: authorise, act, classify the outcome, record one audit event with the status
 * that will be sent — before anything leaves, or nothing leaves. Every surface (the HTTP API, the Kubernetes
 * controller, rotation, start-up) reaches the audit log through here, in one of three shapes:
 *
 * <ul>
 *   <li>{@link #run} / {@link #perform}: an access by a known caller. The answer is the action's value, or a
 *       {@link Refused} whose record is written. When the record cannot be written the value is withheld and the
 *       caller gets {@link Refusal#AUDIT_UNAVAILABLE} (fail closed).</li>
 *   <li>{@link #refuse}: a request refused before it reached any operation — at the edge, possibly before anyone was
 *       verified (then within a per-address budget, {@link AnonymousRefusals}).</li>
 *   <li>{@link #fact}: something Lanyard did on its own account (start-up, a rotation step), with an explicit
 *       {@link IfUnrecorded} policy.</li>
 *   <li>{@link #runWhileUnrecordable}: the one exception to failing closed, for the access that diagnoses the log
 *       itself (verification): answered even when its record cannot be written, which is then logged and written
 *       as soon as the log takes appends again.</li>
 * </ul>
 */
@Singleton
public class AuditedAccess {

    private static final Logger LOG = Logger.getLogger(AuditedAccess.class);

    /** The subject of refusals made before any caller was verified. */
    public static final String ANONYMOUS = "anonymous";

    /**
     * Longest a blocking caller ({@link #factNow}) waits for its record: the audit writer's own deadlines (taking the
     * event into a commit, then the commit's lock and statement timeouts) end well before it.
     */
    static final Duration BLOCKING_DEADLINE = Duration.ofSeconds(15);

    /** Most records of answers sent while the log refused appends that are kept for later; more are logged only. */
    static final int MAX_DEFERRED = 1000;

    /** What a record written late says in its {@code detail}. */
    static final String RECORDED_LATE = "recorded late: the audit log refused appends when this was answered";

    /** What happens to Lanyard's own work when its fact cannot be recorded. */
    public enum IfUnrecorded {
        /** The work stops: the returned {@link Uni} fails with {@link AuditUnavailableException}. */
        FAIL,
        /** The work goes on; the gap is logged. For facts about work already done that cannot be undone. */
        LOG
    }

    /**
     * What an action produced, and the target its record names (learned while acting: a version, a lease).
     *
     * @param staleBecause set when the value is the last good one, served because of this refusal (stale-if-error):
     *                     the record's outcome is then {@link Outcome#STALE}
     */
    public record Performed<T>(T value, Target target, Refusal staleBecause) {
        public Performed(T value, Target target) {
            this(value, target, null);
        }
    }

    private final PolicyEngine policy;
    private final AuditLog log;
    private final InstantSource clock;
    private final Tracer tracer;
    private final AnonymousRefusals anonymous;
    /** Records of {@link #runWhileUnrecordable} answers the log could not take yet, oldest first. */
    private final ConcurrentLinkedDeque<AuditEvent> deferred = new ConcurrentLinkedDeque<>();
    private final AtomicInteger deferredCount = new AtomicInteger();
    private final AtomicBoolean recordingDeferred = new AtomicBoolean();

    public AuditedAccess(PolicyEngine policy, AuditLog log, InstantSource clock, Tracer tracer,
                  @ConfigProperty(name = "lanyard.http.anonymous-refusals-per-minute", defaultValue = "60") int perMinute) {
        this.policy = policy;
        this.log = log;
        this.clock = clock;
        this.tracer = tracer;
        this.anonymous = new AnonymousRefusals(perMinute, clock);
    }

    /**
     * Asks policy whether the caller may use {@code capability} on {@code path}, for actions that learn what they act on
     * as they go (a lease's secret, the other secrets a rotation names).
     *
     * @throws AccessDeniedException when no policy allows it
     */
    public void authorize(AccessContext access, Capability capability, String path) {
        boolean allowed = Spans.inline(tracer, "lanyard.policy", () -> policy.allows(access.caller(), capability, path));
        if (!allowed) {
            throw new AccessDeniedException(capability.spelling(), path);
        }
    }

    /** Whether the caller may use {@code capability} on {@code path}: for filtering what a listing shows. */
    public boolean allows(AccessContext access, Capability capability, String path) {
        return policy.allows(access.caller(), capability, path);
    }

    /**
     * Whether some policy may allow the caller something below {@code prefix}: for showing which mounts it can use,
     * never for allowing anything (see {@link PolicyEngine#mayUseUnder}).
     */
    public boolean mayUseUnder(AccessContext access, String prefix) {
        return policy.mayUseUnder(access.caller(), prefix);
    }

    /** The names of the policies that bind the caller: what a description of its token lists. */
    public List<String> policiesOf(AccessContext access) {
        return policy.namesFor(access.caller());
    }

    /**
     * An access guarded by one capability on the target's {@code <backend>/<path>}: authorise, act, record, answer.
     *
     * @param successStatus the status a success is answered with (200, 201, 204 …), recorded as sent
     */
    public <T> Uni<T> run(AccessContext access, Capability capability, AuditOperation operation, Target target,
                          int successStatus, Supplier<Uni<T>> action) {
        return perform(access, operation, target, successStatus, () -> {
            authorize(access, capability, target.backend() + "/" + target.path());
            return action.get().map(value -> new Performed<>(value, target));
        });
    }

    /**
     * An access whose action authorises itself and names the target its record carries: run it, record the one event
     * with its outcome and the status that will be sent, then answer.
     *
     * @param target        what the record names when the action fails before naming more
     * @param successStatus the status a success is answered with, recorded as sent
     * @return the action's value, or a failure that is a {@link Refused}
     */
    public <T> Uni<T> perform(AccessContext access, AuditOperation operation, Target target, int successStatus,
                              Supplier<Uni<Performed<T>>> action) {
        return perform(access, operation, target, successStatus, action, false);
    }

    /**
     * {@link #run}, for the one access that must stay answerable while the audit log refuses appends: verifying the log,
     * which is how an auditor or operator finds out why it refuses them. Failing closed there would hide the diagnosis
     * behind the fault it diagnoses. It is authorised and recorded like any access; only when its record cannot be
     * written is the answer sent anyway — the gap logged at once, the record kept (in memory, at most
     * {@value #MAX_DEFERRED}) and written with its original time as soon as the log takes appends again, its detail
     * saying it was {@value #RECORDED_LATE}. Only for accesses that release no secret and no content of the log beyond a
     * verdict.
     */
    public <T> Uni<T> runWhileUnrecordable(AccessContext access, Capability capability, AuditOperation operation,
                                           Target target, int successStatus, Supplier<Uni<T>> action) {
        return perform(access, operation, target, successStatus, () -> {
            authorize(access, capability, target.backend() + "/" + target.path());
            return action.get().map(value -> new Performed<>(value, target));
        }, true);
    }

    private <T> Uni<T> perform(AccessContext access, AuditOperation operation, Target target, int successStatus,
                               Supplier<Uni<Performed<T>>> action, boolean answerUnrecorded) {
        return Uni.createFrom().deferred(() -> action.get()).onItemOrFailure().transformToUni((done, failure) -> {
            boolean answered = access.channel().answersOverHttp();
            if (failure == null) {
                Integer status = answered ? successStatus : null;
                Result result = done.staleBecause() != null ? Result.stale(status, done.staleBecause().code())
                        : answered ? Result.success(successStatus) : Result.success();
                AuditEvent record = event(access, operation, done.target(), result);
                return appended(record).onItemOrFailure().transformToUni((ignored, unrecorded) -> {
                    if (unrecorded == null || answerUnrecorded && deferred(record, unrecorded)) {
                        return Uni.createFrom().item(done.value());
                    }
                    return Uni.createFrom().failure(unrecorded(unrecorded));
                });
            }
            Refused verdict = classify(failure);
            Result result = Result.failure(verdict.refusal().outcome(), answered ? access.channel().status(verdict.refusal()) : null,
                    verdict.refusal().code());
            AuditEvent record = event(access, operation, target, result);
            return appended(record).onItemOrFailure().transformToUni((ignored, unrecorded) -> Uni.createFrom().failure(
                    unrecorded == null || answerUnrecorded && deferred(record, unrecorded) ? verdict : unrecorded(unrecorded)));
        });
    }

    /** Appends, and once the log takes appends again, the records that had to wait for it. */
    private Uni<Void> appended(AuditEvent record) {
        return log.append(record).invoke(() -> {
            if (deferredCount.get() > 0) {
                recordDeferred().subscribe().with(written -> { }, failure -> { });
            }
        });
    }

    /**
     * Keeps the record of an answer sent while the log refused it, for {@link #recordDeferred()}; false when it could
     * not even be kept (the bound was reached), in which case the answer is refused after all.
     */
    private boolean deferred(AuditEvent record, Throwable unrecorded) {
        if (deferredCount.incrementAndGet() > MAX_DEFERRED) {
            deferredCount.decrementAndGet();
            LOG.errorf("%s for request %s by %s could not be audited and %d records already wait: refused",
                    record.operation().spelling(), record.correlationId(), record.subject(), MAX_DEFERRED);
            return false;
        }
        deferred.addLast(new AuditEvent(record.occurredAt(), record.correlationId(), record.actorKind(), record.subject(),
                record.credentialId(), record.operation(), record.target().withDetail(RECORDED_LATE), record.result(),
                record.clientAddress()));
        LOG.warnf("%s for request %s by %s was answered %s although the audit log refused its record (%s); it is kept and"
                        + " written when the log takes appends again", record.operation().spelling(), record.correlationId(),
                record.subject(), record.result().outcome().spelling(), unrecorded.getClass().getSimpleName());
        return true;
    }

    /**
     * Writes the records of answers sent while the log refused appends, oldest first, until one fails (it is kept for
     * the next attempt). Runs after every append that succeeds while some wait, and every 15 seconds.
     *
     * @return how many were written
     */
    public Uni<Integer> recordDeferred() {
        if (deferredCount.get() == 0 || !recordingDeferred.compareAndSet(false, true)) {
            return Uni.createFrom().item(0);
        }
        return writeDeferred(0).eventually(() -> recordingDeferred.set(false));
    }

    @Scheduled(every = "15s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> recordDeferredPeriodically() {
        return recordDeferred().replaceWithVoid();
    }

    private Uni<Integer> writeDeferred(int written) {
        AuditEvent next = deferred.pollFirst();
        if (next == null) {
            return Uni.createFrom().item(written);
        }
        return log.append(next).onItemOrFailure().transformToUni((ok, failure) -> {
            if (failure != null) {
                deferred.addFirst(next);
                return Uni.createFrom().item(written);
            }
            deferredCount.decrementAndGet();
            LOG.infof("the deferred record of %s for request %s is written", next.operation().spelling(), next.correlationId());
            return writeDeferred(written + 1);
        });
    }

    /**
     * Records a request refused before it reached any operation, and answers with what the caller is to be sent:
     * {@code refusal}, or {@link Refusal#RATE_LIMITED} once an address nobody verified has spent its budget of records.
     * Never fails: when not even the refusal can be recorded, the answer is {@link Refusal#AUDIT_UNAVAILABLE}.
     *
     * @param access the verified caller, or null when none was verified
     * @param detail a safe detail, or null for the refusal's own
     */
    public Uni<Refused> refuse(String requestId, AccessContext access, String clientAddress, AuditOperation operation,
                               Refusal refusal, String detail) {
        return refuse(Channel.API, requestId, access, clientAddress, operation, refusal, detail);
    }

    /**
     * {@link #refuse(String, AccessContext, String, AuditOperation, Refusal, String)} for a request that came through
     * {@code channel}: when no caller was verified, the channel says in which status vocabulary the refusal is answered
     * and how its record names the way the request came in.
     */
    public Uni<Refused> refuse(Channel channel, String requestId, AccessContext access, String clientAddress,
                               AuditOperation operation, Refusal refusal, String detail) {
        Refused answer = new Refused(refusal, detail == null ? refusal.detail() : detail, true, null);
        if (access != null) {
            return record(access.channel(), requestId, access.caller().subject(), access.caller().credentialId(),
                    access.clientAddress(), operation, answer);
        }
        return switch (anonymous.admit(clientAddress)) {
            case RECORD -> record(channel, requestId, ANONYMOUS, null, clientAddress, operation, answer);
            case RECORD_LIMIT -> record(channel, requestId, ANONYMOUS, null, clientAddress, operation, limited());
            case LIMITED -> Uni.createFrom().item(limited());
        };
    }

    /** A failure nothing anticipated, refused at the edge: recorded as {@link Refusal#INTERNAL_ERROR}. */
    public Uni<Refused> refuseUnexpected(String requestId, AccessContext access, String clientAddress, Throwable failure) {
        return refuseUnexpected(Channel.API, requestId, access, clientAddress, failure);
    }

    /** {@link #refuseUnexpected(String, AccessContext, String, Throwable)} for a request that came through {@code channel}. */
    public Uni<Refused> refuseUnexpected(Channel channel, String requestId, AccessContext access, String clientAddress,
                                         Throwable failure) {
        return refuse(channel, requestId, access, clientAddress, AuditOperation.REQUEST, Refusal.INTERNAL_ERROR, null)
                .map(refused -> refused.refusal() == Refusal.INTERNAL_ERROR
                        ? new Refused(Refusal.INTERNAL_ERROR, refused.detail(), refused.recorded(), failure) : refused);
    }

    /**
     * Records what Lanyard did on its own account.
     *
     * @param errorCode the stable code of a failure (a {@link Refusal}'s, or rotation's step codes), null on success
     */
    public Uni<Void> fact(AccessContext system, AuditOperation operation, Target target, Outcome outcome, String errorCode,
                          IfUnrecorded ifUnrecorded) {
        Result result = outcome == Outcome.SUCCESS ? Result.success() : Result.failure(outcome, null, errorCode);
        Uni<Void> appended = log.append(event(system, operation, target, result));
        return switch (ifUnrecorded) {
            case FAIL -> appended.onFailure(failure -> !(failure instanceof AuditUnavailableException))
                    .transform(AuditUnavailableException::new);
            case LOG -> appended.onFailure().recoverWithUni(failure -> {
                LOG.warnf("%s of %s could not be audited (%s): the work it records went ahead", operation.spelling(),
                        system.correlationId(), failure.getClass().getSimpleName());
                return Uni.createFrom().voidItem();
            });
        };
    }

    /**
     * {@link #fact}, for callers that block (rotation steps on their virtual threads, start-up): waits for the record
     * within a deadline.
     *
     * @throws AuditUnavailableException under {@link IfUnrecorded#FAIL} when it could not be recorded in time
     */
    public void factNow(AccessContext system, AuditOperation operation, Target target, Outcome outcome, String errorCode,
                        IfUnrecorded ifUnrecorded) {
        Uni<Void> recorded = fact(system, operation, target, outcome, errorCode, ifUnrecorded);
        try {
            recorded.await().atMost(BLOCKING_DEADLINE);
        } catch (io.smallrye.mutiny.TimeoutException e) {
            if (ifUnrecorded == IfUnrecorded.FAIL) {
                throw new AuditUnavailableException(e);
            }
            LOG.warnf("%s of %s was not audited within %s: the work it records went ahead", operation.spelling(),
                    system.correlationId(), BLOCKING_DEADLINE);
        }
    }

    /**
     * Records one aggregate row for each unverified address whose minute ended with refusals answered 429 without a row
     * of their own, so a scanner's volume shows in the log though each of its requests does not.
     */
    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public Uni<Void> recordUnrecordedRefusals() {
        List<Uni<Void>> rows = new ArrayList<>();
        for (AnonymousRefusals.Unrecorded ended : anonymous.endedWindows()) {
            Target counted = Target.counted(ended.count() + " refusals answered 429 without a row of their own, "
                    + ended.from() + " to " + ended.until());
            rows.add(log.append(AuditEvent.request(clock.instant(), "refusals-" + UUID.randomUUID(), ANONYMOUS, null, ended.address(),
                            AuditOperation.UNRECORDED_REFUSALS, counted,
                            Result.failure(Refusal.RATE_LIMITED.outcome(), Refusal.RATE_LIMITED.status(), Refusal.RATE_LIMITED.code())))
                    .onFailure().recoverWithUni(failure -> {
                        LOG.warnf("%d refusals of %s could not be counted in the audit log (%s)", ended.count(), ended.address(),
                                failure.getClass().getSimpleName());
                        return Uni.createFrom().voidItem();
                    }));
        }
        return rows.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(rows).andCollectFailures().replaceWithVoid();
    }

    private Uni<Refused> record(Channel channel, String requestId, String subject, String credentialId,
                                String clientAddress, AuditOperation operation, Refused answer) {
        Result result = Result.failure(answer.refusal().outcome(), channel.status(answer.refusal()), answer.refusal().code());
        return log.append(AuditEvent.request(clock.instant(), requestId, subject, credentialId, clientAddress, operation,
                        surfaced(channel, Target.none()), result))
                .onItemOrFailure().transform((ignored, unrecorded) -> unrecorded == null ? answer : unrecorded(unrecorded));
    }

    private static Refused limited() {
        return new Refused(Refusal.RATE_LIMITED, Refusal.RATE_LIMITED.detail(), true, null);
    }

    private static Refused unrecorded(Throwable failure) {
        if (!(failure instanceof AuditUnavailableException)) {
            LOG.warnf("an audit record failed unexpectedly: %s", failure.getClass().getSimpleName());
        }
        return new Refused(Refusal.AUDIT_UNAVAILABLE, Refusal.AUDIT_UNAVAILABLE.detail(), false, failure);
    }

    /** The event for one access, of the kind its channel calls for. */
    private AuditEvent event(AccessContext access, AuditOperation operation, Target target, Result result) {
        return switch (access.channel()) {
            case API, VAULT -> AuditEvent.request(clock.instant(), access.correlationId(), access.caller().subject(),
                    access.caller().credentialId(), access.clientAddress(), operation, surfaced(access.channel(), target),
                    result);
            case CONTROLLER -> AuditEvent.controllerSync(clock.instant(), access.correlationId(), access.caller().subject(),
                    access.caller().credentialId(), operation, target, result);
            case SYSTEM -> AuditEvent.administrative(clock.instant(), access.correlationId(), operation, target, result);
        };
    }

    /** The target as recorded for work that came through {@code channel}: naming that way when it is not the native API. */
    private static Target surfaced(Channel channel, Target target) {
        String surface = channel.surface();
        return surface == null ? target : target.via(surface);
    }

    /**
     * What a failure means for its caller and its record: the refusal, a detail safe to show anyone, and for a failure
     * nothing anticipated, {@code INTERNAL_ERROR} with the cause kept for the log only.
     */
    static Refused classify(Throwable failure) {
        return switch (failure) {
            case Refused refused -> refused;
            case Refusable refusable -> refused(refusable.refusal(), refusable.getMessage(), failure);
            case AuthenticationException e -> refused(Refusal.UNAUTHENTICATED, null, e);
            case AuthenticationUnavailableException e -> refused(Refusal.AUTHENTICATION_UNAVAILABLE, null, e);
            case InvalidSecretPathException e -> refused(Refusal.INVALID_PATH, e.getMessage(), e);
            case SecretNotFoundException e -> refused(Refusal.SECRET_NOT_FOUND, null, e);
            case UnknownTokenException e -> refused(Refusal.TOKEN_NOT_FOUND, null, e);
            case UnsupportedBackendOperationException e -> refused(Refusal.OPERATION_NOT_SUPPORTED,
                    "this backend does not support " + e.operation() + " on this path", e);
            case WriteConflictException e -> refused(Refusal.WRITE_CONFLICT,
                    "the secret changed under this write (" + e.reason().name().toLowerCase(Locale.ROOT) + ")", e);
            case BackendRejectedException e -> refused(Refusal.BACKEND_REJECTED, null, e);
            case BackendUnavailableException e -> refused(Refusal.BACKEND_UNAVAILABLE, null, e);
            case AuditUnavailableException e -> refused(Refusal.AUDIT_UNAVAILABLE, null, e);
            default -> refused(Refusal.INTERNAL_ERROR, null, failure);
        };
    }

    /** The cause is kept for logs and for tests; callers are shown only the refusal and its detail. */
    private static Refused refused(Refusal refusal, String detail, Throwable cause) {
        return new Refused(refusal, detail == null ? refusal.detail() : detail, true, cause);
    }
}
