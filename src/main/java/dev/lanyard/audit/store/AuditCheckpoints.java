package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Signs the chain head with Ed25519 at an interval and on shutdown, records the checkpoint in the database and publishes
 * it to the sinks outside it — an S3 Object Lock bucket, or a file for one process on one machine (docs/audit-chain.md).
 *
 * <p>A head is signed only after the chain up to it has been verified from the newest valid checkpoint, seals included:
 * a checkpoint vouches for what Lanyard's writers wrote, never for a row slipped in behind them. The long walk holds no
 * lock, so writers never wait for it; the last step — reading what was appended meanwhile, verifying it, signing the
 * head and recording it — runs under the chain lock in one short transaction, so that the checkpoint is always of the
 * current head, which is all the database accepts (V15). What the database holds is not trusted: a checkpoint row only
 * counts when its signature verifies, and this replica's own checkpoint is published even when someone else's row
 * already occupies that seq. Publishing runs on a virtual thread, never on the event loop.
 */
@ApplicationScoped
@Startup // its gauge is exported from the start, not from the first use
public class AuditCheckpoints {

    private static final Logger LOG = Logger.getLogger(AuditCheckpoints.class);

    /** Most rows appended during the unlocked walk that the locked step verifies; more, and it walks again first. */
    static final int MOST_UNDER_LOCK = 5_000;
    /** Walks before giving up for this round when the head keeps moving faster than they go. */
    private static final int ROUNDS = 3;
    private static final String RECORD = "select audit_checkpoint_record($1, $2, $3, $4, $5) as added";

    private final AuditStore store;
    private final Pool pool;
    private final AuditConfig config;
    private final InstantSource clock;
    private final CheckpointSigner signer;
    private final AuditChainWriter writer;
    private final List<CheckpointSink> sinks;
    /** When the head was last known signed (a checkpoint made, or the head found already signed); start-up before. */
    private volatile Instant signedUpTo;
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("audit-checkpoint-", 0).factory());

    AuditCheckpoints(AuditStore store, Pool pool, AuditConfig config, InstantSource clock, CheckpointSigner signer,
                     AuditChainWriter writer, MeterRegistry meters) {
        this.store = store;
        this.pool = pool;
        this.writer = writer;
        this.signedUpTo = clock.instant();
        TimeGauge.builder("lanyard.audit.checkpoint.age", this, TimeUnit.SECONDS,
                        checkpoints -> Duration.between(checkpoints.signedUpTo, checkpoints.clock.instant()).toMillis() / 1000.0)
                .description("time since this replica last saw the audit head signed; grows while checkpoints fail")
                .register(meters);
        this.config = config;
        this.clock = clock;
        this.signer = signer;
        this.sinks = sinks(config, clock);
    }

    private static List<CheckpointSink> sinks(AuditConfig config, InstantSource clock) {
        List<CheckpointSink> sinks = new ArrayList<>();
        config.checkpointFile().ifPresent(file -> sinks.add(new FileCheckpointSink(file)));
        config.checkpointS3().ifPresent(s3 -> {
            S3CheckpointSink sink = S3CheckpointSink.create(s3, clock);
            sink.requireObjectLock();
            sinks.add(sink);
        });
        if (sinks.isEmpty()) {
            LOG.warn("no audit checkpoint sink is configured (lanyard.audit.checkpoint-s3.*, lanyard.audit.checkpoint-file):"
                    + " checkpoints stay in the database, whose administrators could rewrite the log and them together");
        }
        return List.copyOf(sinks);
    }

    public byte[] publicKey() {
        return signer.publicKey();
    }

    public String keyId() {
        return signer.keyId();
    }

    @Scheduled(every = "${lanyard.audit.checkpoint-interval:1m}", delayed = "${lanyard.audit.checkpoint-interval:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> periodically() {
        return checkpoint().replaceWithVoid()
                .onFailure().invoke(failure -> LOG.warnf("audit checkpoint failed: %s", failure.getMessage()))
                .onFailure().recoverWithNull();
    }

    /**
     * After the HTTP drain (requests in flight have had their answers, so their events are committed): lets what is still
     * queued (background work) commit, then signs the head and publishes it, so the last checkpoint covers the last event.
     */
    void onShutdown(@Observes ShutdownEvent ignored) {
        if (!writer.awaitQueued(config.appendTimeout())) {
            LOG.warnf("audit events still queued after %s at shutdown; the final checkpoint may not cover them",
                    config.appendTimeout());
        }
        try {
            signHead().ifPresent(signed -> LOG.infof("final audit checkpoint signed and published at seq %d", signed.seq()));
        } catch (RuntimeException failure) {
            LOG.warnf("final audit checkpoint failed: %s", failure.getMessage());
        }
    }

    /** Signs the current head unless it is already validly signed; returns the new checkpoint, if one was made. */
    public Uni<Optional<Checkpoint>> checkpoint() {
        return Uni.createFrom().item(this::signHead).runSubscriptionOn(work);
    }

    private Optional<Checkpoint> signHead() {
        Optional<AuditStore.Link> head = store.head();
        Instant now = clock.instant();
        if (head.isEmpty()) {
            signedUpTo = now; // nothing to sign
            return Optional.empty();
        }
        List<Checkpoint> recorded = store.checkpoints();
        if (validlySignedAt(recorded, head.get().seq(), head.get().hash())) {
            signedUpTo = now;
            return Optional.empty();
        }
        AuditStore.Link verified = verifyUpTo(head.get().seq(), recorded);
        for (int round = 1; ; round++) {
            Outcome outcome = await(signUnderLock(verified));
            if (outcome.moved() == null) {
                outcome.signed().ifPresent(this::publish);
                signedUpTo = now;
                return outcome.signed();
            }
            if (round == ROUNDS) {
                throw new IllegalStateException("the audit head kept moving faster than it could be verified ("
                        + MOST_UNDER_LOCK + " rows per walk); the next round tries again");
            }
            verified = verifyFrom(verified, outcome.moved());
        }
    }

    /** What the locked step did: signed (or found signed) the head, or found it moved too far to verify under the lock. */
    private record Outcome(Optional<Checkpoint> signed, Long moved) {}

    /**
     * Under the chain lock, in one transaction: the rows appended after {@code verified}, verified (seals included), then
     * the head signed, the signature checked, and the checkpoint recorded; or, when more than {@link #MOST_UNDER_LOCK}
     * rows came in meanwhile, nothing but where the head is now.
     */
    private Uni<Outcome> signUnderLock(AuditStore.Link verified) {
        String locked = "set local lock_timeout = " + config.lockTimeout().toMillis() + "; set local statement_timeout = "
                + config.statementTimeout().toMillis() + "; select pg_advisory_xact_lock(" + AuditChainWriter.CHAIN_LOCK
                + "); select " + AuditStore.COLUMNS + " from audit_event where seq > " + verified.seq()
                + " order by seq limit " + (MOST_UNDER_LOCK + 1);
        return pool.withTransaction(connection -> connection.query(locked).execute().chain(results -> {
            RowSet<Row> rows = results;
            while (rows.next() != null) {
                rows = rows.next();
            }
            List<ChainedEvent> appended = new ArrayList<>();
            rows.forEach(row -> appended.add(AuditStore.event(row)));
            if (appended.size() > MOST_UNDER_LOCK) {
                return Uni.createFrom().item(new Outcome(Optional.empty(), appended.getLast().seq()));
            }
            AuditStore.Link head = verified;
            if (!appended.isEmpty()) {
                ChainVerifier.Result result = new ChainVerifier().verify(appended, verified.hash(), verified.seq(), List.of(),
                        signer.publicKey(), ChainVerifier.Scope.WHOLE_LOG);
                long last = appended.getLast().seq();
                if (!result.valid() || result.verifiedUpTo() != last) {
                    throw new IllegalStateException("not signing the audit head at seq " + last + ": " + result.summary());
                }
                head = new AuditStore.Link(last, appended.getLast().hash());
            }
            long seq = head.seq();
            byte[] hash = head.hash();
            return connection.preparedQuery("select seq, hash, signed_at, key_id, signature from audit_checkpoint where seq = $1")
                    .execute(Tuple.of(seq)).chain(existing -> {
                        Optional<Checkpoint> there = existing.iterator().hasNext()
                                ? Optional.of(AuditStore.checkpoint(existing.iterator().next())) : Optional.empty();
                        if (there.isPresent() && validlySignedAt(List.of(there.get()), seq, hash)) {
                            return Uni.createFrom().item(new Outcome(Optional.empty(), null)); // another replica signed it
                        }
                        Checkpoint signed = signer.sign(seq, hash, CanonicalForm.truncate(clock.instant()));
                        if (!CheckpointSigner.verify(signed, signer.publicKey())) {
                            throw new IllegalStateException("the audit signing key made a checkpoint it cannot verify itself");
                        }
                        if (there.isPresent()) {
                            LOG.warnf("a checkpoint row at seq %d that this key did not sign (key id %s) is in the database:"
                                    + " someone with its password recorded it; publishing this replica's own", seq,
                                    there.get().keyId());
                            return Uni.createFrom().item(new Outcome(Optional.of(signed), null));
                        }
                        return connection.preparedQuery(RECORD).execute(Tuple.of(signed.seq(), Buffer.buffer(signed.hash()),
                                        signed.signedAt().atOffset(ZoneOffset.UTC), signed.keyId(), Buffer.buffer(signed.signature())))
                                .replaceWith(new Outcome(Optional.of(signed), null));
                    });
        }));
    }

    private boolean validlySignedAt(List<Checkpoint> checkpoints, long seq, byte[] hash) {
        return checkpoints.stream().anyMatch(c -> c.seq() == seq && MessageDigest.isEqual(c.hash(), hash)
                && CheckpointSigner.verify(c, signer.publicKey()));
    }

    /** Walks the chain from the newest validly signed checkpoint below {@code seq} (or genesis) up to it. */
    private AuditStore.Link verifyUpTo(long seq, List<Checkpoint> recorded) {
        Optional<Checkpoint> anchor = recorded.stream()
                .filter(c -> c.seq() < seq && CheckpointSigner.verify(c, signer.publicKey()))
                .max(Comparator.comparingLong(Checkpoint::seq));
        long first = store.firstSeq().orElse(1L);
        long anchorSeq = anchor.map(Checkpoint::seq).orElse(0L);
        if (anchor.isEmpty() && first > 1) {
            throw new IllegalStateException("the audit log starts at seq " + first + " with no signed checkpoint before it");
        }
        ChainVerifier.Result result = store.verify(anchorSeq, anchor.map(Checkpoint::hash).orElse(CanonicalForm.GENESIS),
                Optional.of(seq), anchor.map(List::of).orElse(List.of()), signer.publicKey(), ChainVerifier.Scope.WHOLE_LOG);
        if (!result.valid() || result.verifiedUpTo() != seq) {
            throw new IllegalStateException("not signing the audit head at seq " + seq + ": " + result.summary());
        }
        return new AuditStore.Link(seq, store.hashAt(seq).orElseThrow());
    }

    /** Walks on from a link already verified up to {@code seq}. */
    private AuditStore.Link verifyFrom(AuditStore.Link verified, long seq) {
        ChainVerifier.Result result = store.verify(verified.seq(), verified.hash(), Optional.of(seq), List.of(),
                signer.publicKey(), ChainVerifier.Scope.WHOLE_LOG);
        if (!result.valid() || result.verifiedUpTo() != seq) {
            throw new IllegalStateException("not signing the audit head at seq " + seq + ": " + result.summary());
        }
        return new AuditStore.Link(seq, store.hashAt(seq).orElseThrow());
    }

    /** Checkpoints known to the database and to the sinks outside it. */
    public List<Checkpoint> all() {
        List<Checkpoint> found = new ArrayList<>(store.checkpoints());
        found.addAll(published());
        return found;
    }

    /** What the sinks outside the database hold: the database cannot vouch for itself. */
    public List<Checkpoint> published() {
        return published(0);
    }

    /** What the sinks hold from {@code fromSeq} on. */
    public List<Checkpoint> published(long fromSeq) {
        List<Checkpoint> found = new ArrayList<>();
        for (CheckpointSink sink : sinks) {
            found.addAll(sink.published(fromSeq));
        }
        return found;
    }

    /** Where checkpoints are published outside the database, for operators. */
    public List<String> sinks() {
        return sinks.stream().map(CheckpointSink::describe).toList();
    }

    private void publish(Checkpoint checkpoint) {
        for (CheckpointSink sink : sinks) {
            sink.publish(checkpoint);
        }
    }

    private static <T> T await(Uni<T> work) {
        return work.await().atMost(Duration.ofMinutes(1));
    }
}
