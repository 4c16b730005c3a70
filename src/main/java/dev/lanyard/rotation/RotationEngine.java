package dev.lanyard.rotation;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.IfUnrecorded;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.Outcome;
import dev.lanyard.audit.Target;
import dev.lanyard.broker.Broker;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.spi.WriteConflictException;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import org.jboss.logging.Logger;

/**
 * Executes one claimed run, step after step, each recorded as begun (in PostgreSQL and in the audit log) before it
 * touches anything and as ended after it ran; a step whose start cannot be recorded does not run. Every step can be
 * repeated: create finds the version its token made, set and test ask the target, finish is a stage move that
 * succeeds when it was already made. So a run cut off anywhere (a crash, a lost claim) is resumed from the step it was
 * in, by this replica or another. Staging goes through the backend SPI alone, so the same engine rotates secrets in
 * the local store, Vault KV v2 and AWS Secrets Manager.
 */
@Singleton
class RotationEngine {

    private static final Logger LOG = Logger.getLogger(RotationEngine.class);
    static final EnumSet<BackendCapability> NEEDED = EnumSet.of(BackendCapability.READ, BackendCapability.WRITE,
            BackendCapability.STAGES);

    private final RotationStore store;
    private final BackendRegistry backends;
    private final Strategies strategies;
    private final Broker broker;
    private final AuditedAccess audited;
    private final RotationConfig config;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final RunFaults faults;
    private final RotationMetrics metrics;
    private final String replica;
    private final ExecutorService steps = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rotation-step-", 0).factory());

    RotationEngine(RotationStore store, BackendRegistry backends, Strategies strategies, Broker broker, AuditedAccess audited,
                   RotationConfig config, InstantSource clock, RandomGenerator random, RunFaults faults,
                   RotationMetrics metrics, Replica replica) {
        this.store = store;
        this.backends = backends;
        this.strategies = strategies;
        this.broker = broker;
        this.audited = audited;
        this.config = config;
        this.clock = clock;
        this.random = random;
        this.faults = faults;
        this.metrics = metrics;
        this.replica = replica.name();
    }

    @PreDestroy
    void stop() {
        steps.shutdownNow();
    }

    /** This replica lost its claim on the run (another took over): stop without writing. */
    private static final class ClaimLost extends RuntimeException {
        ClaimLost() {
            super("claim lost", null, false, false);
        }
    }

    /** Runs the claimed run until it ends, waits for a retry, or the claim is lost. */
    void execute(RotationRun claimed) {
        RotationRun run = claimed;
        while (run.state() == RunState.RUNNING && run.step() != Step.DONE) {
            Instant started = clock.instant();
            if (!store.renew(run.id(), replica, started, config.claimLease())) {
                return;
            }
            long record = store.stepStarted(run, replica, started);
            faults.reached(run.step().spelling() + ".started");
            RotationRun next;
            try {
                // Recorded before the step touches anything: a run that cannot record stops here and retries later.
                recordStart(run);
                RotationRun current = run;
                next = withinTimeout(deadline -> perform(current, deadline));
                record(run, run.step(), next.pendingVersion(), null, IfUnrecorded.FAIL);
            } catch (ClaimLost lost) {
                return;
            } catch (RuntimeException failure) {
                StepFailure classified = classify(failure);
                RotationRun after = afterFailure(run, classified);
                record(run, run.step(), run.pendingVersion(), classified.code().name(), IfUnrecorded.LOG);
                metrics.step(run.step(), classified.retryable() ? "retry" : "failed", Duration.between(started, clock.instant()));
                boolean retryLater = after.state() == RunState.RUNNING && after.step() == run.step();
                if (!store.endStep(record, replica, retryLater ? "retry" : "failed", classified.code().name(), clock.instant(), after,
                        !retryLater)) {
                    return;
                }
                LOG.infof("rotation run %s of %s: step %s failed (%s), %s", run.id(), run.secret(), run.step().spelling(),
                        classified.code(), retryLater ? "retrying at " + after.notBefore() : "rolling back");
                if (retryLater) {
                    return;
                }
                ended(after);
                run = after;
                continue;
            }
            faults.reached(run.step().spelling() + ".done");
            if (!store.endStep(record, replica, "success", null, clock.instant(), next, true)) {
                return;
            }
            metrics.step(run.step(), "success", Duration.between(started, clock.instant()));
            faults.reached(run.step().spelling() + ".recorded");
            ended(next);
            run = next;
        }
    }

    private void ended(RotationRun run) {
        if (run.state() == RunState.RUNNING) {
            return;
        }
        metrics.runEnded(run.state());
        String failed = run.state() == RunState.SUCCEEDED ? null : run.errorCode().orElse(StepCode.ROTATION_FAILED.name());
        record(run, Step.DONE, run.pendingVersion(), failed, IfUnrecorded.LOG);
        if (run.state() == RunState.SUCCEEDED) {
            metrics.lastSuccess(run.secret().toString(), run.finishedAt().orElse(clock.instant()));
        }
    }

    /** Runs a step on its own virtual thread, abandoned at its deadline, which the step is told. */
    private RotationRun withinTimeout(Function<StepDeadline, RotationRun> step) {
        StepDeadline deadline = StepDeadline.in(config.stepTimeout());
        Future<RotationRun> running = steps.submit(() -> step.apply(deadline));
        try {
            return running.get(config.stepTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            running.cancel(true);
            throw new StepFailure(StepCode.STEP_TIMEOUT, "the step took longer than lanyard.rotation.step-timeout");
        } catch (InterruptedException e) {
            running.cancel(true);
            Thread.currentThread().interrupt();
            throw new StepFailure(StepCode.INTERRUPTED, "the step was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new StepFailure(StepCode.INTERNAL_ERROR, "the step failed unexpectedly");
        }
    }

    private RotationRun perform(RotationRun run, StepDeadline deadline) {
        SecretBackend backend = backend(run.secret());
        RotationStrategy strategy = strategies.get(run.strategy());
        StrategyContext context = new StrategyContext(run.secret(), run.parameters(), ref -> readReference(run, ref), deadline);
        if (run.step() == Step.CREATE || run.step() == Step.SET || run.step() == Step.TEST) {
            strategy.ready(context);
        }
        return switch (run.step()) {
            case CREATE -> create(run, backend, strategy, context);
            case SET -> {
                try (SecretValue pending = pending(run, backend); SecretValue current = current(run, backend)) {
                    strategy.set(context, pending, current);
                }
                faults.reached("set.applied");
                yield advance(run, Step.TEST);
            }
            case TEST -> {
                try (SecretValue pending = pending(run, backend)) {
                    strategy.test(context, pending);
                }
                yield advance(run, Step.FINISH).tested(clock.instant());
            }
            case FINISH -> finish(run, backend);
            case ROLLBACK -> rollback(run, backend, strategy, context);
            case DONE -> run;
        };
    }

    private RotationRun create(RotationRun run, SecretBackend backend, RotationStrategy strategy, StrategyContext context) {
        if (run.pendingVersion().isPresent()) {
            return advance(run, Step.SET);
        }
        SecretRef ref = run.secret();
        Secret current = await(backend.read(ref.path(), VersionSelector.current()));
        String fromVersion = current.version()
                .orElseThrow(() -> new StepFailure(StepCode.OPERATION_NOT_SUPPORTED, "the backend names no version of the secret"));
        String pendingVersion;
        try (SecretValue currentValue = current.value(); SecretValue next = strategy.generate(context, currentValue)) {
            pendingVersion = putPending(run, backend, next);
        }
        faults.reached("create.put");
        if (!store.recordPending(run, replica, fromVersion, pendingVersion)) {
            throw new ClaimLost();
        }
        faults.reached("create.pending-recorded");
        return run.movedTo(Step.SET, clock.instant()).withVersions(fromVersion, pendingVersion);
    }

    /**
     * Stores the new value as pending under the run's token. The same token after a crash: the backend answers with the
     * version the first put made, or (the value generated again differs) with {@code TOKEN_REUSED}, and the pending
     * version is that first one. A pending version another run left behind is taken off first: never two pending.
     */
    private String putPending(RotationRun run, SecretBackend backend, SecretValue value) {
        NewVersion version = NewVersion.staged(value, Stage.PENDING, run.token());
        try {
            return await(backend.put(run.secret().path(), version));
        } catch (WriteConflictException conflict) {
            Optional<String> holder = holder(await(backend.versions(run.secret().path())), Stage.PENDING);
            switch (conflict.reason()) {
                case TOKEN_REUSED -> {
                    return holder.orElseThrow(() -> new StepFailure(StepCode.PENDING_LOST,
                            "this run's pending version is no longer pending"));
                }
                case STAGE_TAKEN -> {
                    if (holder.isPresent()) {
                        LOG.infof("rotation run %s: taking pending off version %s, left by an earlier run", run.id(), holder.get());
                        await(backend.moveStage(run.secret().path(), StageMove.remove(Stage.PENDING, holder.get())));
                    }
                    return await(backend.put(run.secret().path(), version));
                }
                default -> throw conflict;
            }
        }
    }

    private RotationRun finish(RotationRun run, SecretBackend backend) {
        if (run.testedAt().isEmpty()) {
            // The table refuses this too: an untested value is never promoted.
            throw new StepFailure(StepCode.UNTESTED, "the pending value was not tested");
        }
        String from = run.fromVersion().orElseThrow();
        String to = run.pendingVersion().orElseThrow();
        try {
            await(backend.moveStage(run.secret().path(), StageMove.of(Stage.CURRENT, from, to)));
        } catch (WriteConflictException conflict) {
            if (!holder(await(backend.versions(run.secret().path())), Stage.CURRENT).equals(Optional.of(to))) {
                throw new StepFailure(StepCode.SECRET_CHANGED, "the secret's current version changed during the rotation");
            }
        }
        faults.reached("finish.moved");
        broker.changed(SecretChanged.rotated(run.secret(), to, clock.instant()));
        return ended(run, RunState.SUCCEEDED);
    }

    /**
     * Undoes a run that cannot finish: the target accepts the current value again and the pending version loses its
     * stage. A run that had in fact been promoted (its finish was cut off) ends as succeeded instead.
     */
    private RotationRun rollback(RotationRun run, SecretBackend backend, RotationStrategy strategy, StrategyContext context) {
        if (run.pendingVersion().isEmpty()) {
            return ended(run, RunState.FAILED);
        }
        String pending = run.pendingVersion().get();
        List<VersionInfo> versions = await(backend.versions(run.secret().path()));
        if (holder(versions, Stage.CURRENT).equals(Optional.of(pending)) && run.testedAt().isPresent()) {
            broker.changed(SecretChanged.rotated(run.secret(), pending, clock.instant()));
            return ended(run, RunState.SUCCEEDED);
        }
        if (holder(versions, Stage.PENDING).equals(Optional.of(pending))) {
            boolean setBegan = store.steps(run.id()).stream().anyMatch(step -> step.step() == Step.SET);
            Optional<String> previousVersion = holder(versions, Stage.PREVIOUS);
            try (SecretValue pendingValue = read(backend, run, VersionSelector.stage(Stage.PENDING));
                 SecretValue current = readCurrent(run.secret());
                 SecretValue previous = previousVersion.isPresent() ? readVersion(backend, run.secret(), previousVersion.get()) : null) {
                Optional<String> unrestored = strategy.undo(context,
                        new RotationStrategy.Undo(pendingValue, current, Optional.ofNullable(previous), setBegan));
                // Before the pending value loses its stage: the record of who no longer holds a password comes first.
                unrestored.ifPresent(role -> recordUnrestored(run, role));
            }
            faults.reached("rollback.undone");
            await(backend.moveStage(run.secret().path(), StageMove.remove(Stage.PENDING, pending)));
        }
        return ended(run, RunState.FAILED);
    }

    private RotationRun advance(RotationRun run, Step next) {
        return run.movedTo(next, clock.instant());
    }

    private RotationRun ended(RotationRun run, RunState state) {
        return run.ended(state, clock.instant());
    }

    /** What the run becomes after a failed step: the same step later (backoff), or rollback. */
    private RotationRun afterFailure(RotationRun run, StepFailure failure) {
        int attempt = run.attempt() + 1;
        boolean rollingBack = run.step() == Step.ROLLBACK;
        if (failure.retryable() && (attempt < config.maxAttempts() || rollingBack)) {
            // A rollback is retried until it succeeds or the run is marked stuck: giving up would leave the target
            // and the stages disagreeing.
            return run.retryingAt(attempt, clock.instant().plus(backoff(attempt)), failure.code());
        }
        if (rollingBack) {
            return run.failedWith(failure.code()).ended(RunState.FAILED, clock.instant());
        }
        return run.failedWith(failure.code()).movedTo(Step.ROLLBACK, clock.instant());
    }

    /** Exponential backoff with "equal jitter": half the doubled delay, plus up to as much again at random. */
    Duration backoff(int attempt) {
        long base = config.backoffBase().toMillis();
        long capped = Math.min(config.backoffMax().toMillis(), base << Math.min(attempt - 1, 30));
        return Duration.ofMillis(capped / 2 + (long) (random.nextDouble() * (capped / 2.0)));
    }

    private static StepFailure classify(RuntimeException failure) {
        return switch (failure) {
            case StepFailure f -> f;
            case WriteConflictException e when e.reason() == WriteConflictException.Reason.CONCURRENT_WRITE ->
                    new StepFailure(StepCode.CONCURRENT_WRITE, "the secret changed while it was written");
            case WriteConflictException e -> new StepFailure(StepCode.SECRET_CHANGED, "the secret changed during the rotation");
            case BackendUnavailableException e -> new StepFailure(StepCode.BACKEND_UNAVAILABLE, "the backend is unavailable");
            case SecretNotFoundException e -> new StepFailure(StepCode.SECRET_NOT_FOUND, "the secret or its pending version is gone");
            case UnsupportedBackendOperationException e -> new StepFailure(StepCode.OPERATION_NOT_SUPPORTED,
                    "the backend cannot stage versions of this secret");
            case BackendException e -> new StepFailure(StepCode.BACKEND_REJECTED, "the backend refused Lanyard's request");
            case AuditUnavailableException e -> new StepFailure(StepCode.AUDIT_UNAVAILABLE, "the step could not be audited");
            default -> {
                LOG.warnf("rotation step failed unexpectedly: %s", failure.getClass().getSimpleName());
                yield new StepFailure(StepCode.INTERNAL_ERROR, "the step failed unexpectedly");
            }
        };
    }

    private SecretValue pending(RotationRun run, SecretBackend backend) {
        return read(backend, run, VersionSelector.stage(Stage.PENDING));
    }

    private SecretValue current(RotationRun run, SecretBackend backend) {
        Secret current = await(backend.read(run.secret().path(), VersionSelector.current()));
        if (!current.version().equals(run.fromVersion())) {
            current.value().close();
            throw new StepFailure(StepCode.SECRET_CHANGED, "the secret's current version changed during the rotation");
        }
        return current.value();
    }

    /** The pending value, checked to be this run's: a version someone else staged is never set or tested. */
    private SecretValue read(SecretBackend backend, RotationRun run, VersionSelector selector) {
        Secret secret = await(backend.read(run.secret().path(), selector));
        if (!secret.version().equals(run.pendingVersion())) {
            secret.value().close();
            throw new StepFailure(StepCode.PENDING_REPLACED, "the pending version is not this run's");
        }
        return secret.value();
    }

    private SecretValue readCurrent(SecretRef ref) {
        return await(backend(ref).read(ref.path(), VersionSelector.current())).value();
    }

    /** A version by id, or null when the backend no longer has it (destroyed since it was staged). */
    private static SecretValue readVersion(SecretBackend backend, SecretRef ref, String version) {
        try {
            return await(backend.read(ref.path(), VersionSelector.id(version))).value();
        } catch (SecretNotFoundException gone) {
            return null;
        }
    }

    /**
     * Another secret the run's strategy names (an administrator login), read as Lanyard's own work: the read is recorded
     * under the run's id before the value is handed to the strategy, and withheld when it cannot be.
     */
    private SecretValue readReference(RotationRun run, SecretRef ref) {
        Secret secret = await(backend(ref).read(ref.path(), VersionSelector.current()));
        try {
            audited.factNow(AccessContext.system(run.id()), AuditOperation.READ,
                    Target.secret(ref.backend(), ref.path().value()).atVersion(secret.version().orElse(null)), Outcome.SUCCESS,
                    null, IfUnrecorded.FAIL);
        } catch (RuntimeException unrecorded) {
            secret.value().close();
            throw unrecorded;
        }
        return secret.value();
    }

    private SecretBackend backend(SecretRef ref) {
        SecretBackend backend = backends.find(ref.backend())
                .orElseThrow(() -> new StepFailure(StepCode.BACKEND_NOT_FOUND, "the secret's backend is not configured"));
        if (!backend.capabilities().containsAll(NEEDED)) {
            throw new StepFailure(StepCode.OPERATION_NOT_SUPPORTED, "the backend cannot stage versions");
        }
        return backend;
    }

    static Optional<String> holder(List<VersionInfo> versions, Stage stage) {
        return versions.stream().filter(v -> v.holds(stage)).map(VersionInfo::id).findFirst();
    }

    /**
     * Records that a step begins, before it touches anything, naming the target it may log in to; throws
     * {@link AuditUnavailableException} when it cannot, and the step does not run.
     */
    private void recordStart(RotationRun run) {
        String detail = "run/" + run.id() + "/step/" + run.step().spelling() + "/started"
                + strategies.find(run.strategy()).flatMap(s -> s.target(run.parameters())).map(t -> "/target/" + t).orElse("");
        Target target = Target.rotation(run.secret().backend(), run.secret().path().value(), detail)
                .atVersion(run.pendingVersion().orElse(null));
        audited.factNow(AccessContext.system(run.id()), operation(run.step()), target, Outcome.SUCCESS, null, IfUnrecorded.FAIL);
    }

    /** A rollback's fact that {@code role}'s password may be the unstaged pending value, which nobody holds. */
    private void recordUnrestored(RotationRun run, String role) {
        LOG.warnf("rotation run %s of %s: role %s could not be given back its earlier password; nobody holds its password now",
                run.id(), run.secret(), role);
        Target target = Target.rotation(run.secret().backend(), run.secret().path().value(),
                "run/" + run.id() + "/step/rollback/role/" + role).atVersion(run.pendingVersion().orElse(null));
        audited.factNow(AccessContext.system(run.id()), AuditOperation.ROTATION_ROLLBACK, target, Outcome.FAILED,
                StepCode.ALTERNATE_UNRESTORED.name(), IfUnrecorded.FAIL);
    }

    private static AuditOperation operation(Step step) {
        return switch (step) {
            case CREATE -> AuditOperation.ROTATION_CREATE;
            case SET -> AuditOperation.ROTATION_SET;
            case TEST -> AuditOperation.ROTATION_TEST;
            case FINISH -> AuditOperation.ROTATION_FINISH;
            case ROLLBACK -> AuditOperation.ROTATION_ROLLBACK;
            case DONE -> AuditOperation.ROTATION_RUN;
        };
    }

    /**
     * Records a step (or, for {@link Step#DONE}, the run) as Lanyard's own work: a success when {@code failed} (a
     * {@link StepCode}'s name) is null.
     */
    private void record(RotationRun run, Step step, Optional<String> version, String failed, IfUnrecorded ifUnrecorded) {
        AuditOperation operation = operation(step);
        String detail = step == Step.DONE ? "run/" + run.id() : "run/" + run.id() + "/step/" + step.spelling();
        Target target = Target.rotation(run.secret().backend(), run.secret().path().value(), detail).atVersion(version.orElse(null));
        audited.factNow(AccessContext.system(run.id()), operation, target, failed == null ? Outcome.SUCCESS : Outcome.FAILED,
                failed, ifUnrecorded);
    }

    private static <T> T await(Uni<T> uni) {
        return uni.await().atMost(Duration.ofSeconds(20));
    }
}
