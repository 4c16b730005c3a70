package dev.lanyard.audit.store;

import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.Result;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.Seal;
import dev.lanyard.database.DatabaseConnections;
import dev.lanyard.support.ContextHop;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import dev.lanyard.support.Spans;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Appends events to the hash chain in PostgreSQL (docs/audit-chain.md).
 *
 * <p>In group-commit mode one writer at a time takes everything queued while the previous commit was in
 * flight, chains it under the advisory lock and inserts it with a single statement; every caller's Uni
 * completes after its batch committed. Throughput then grows with load instead of being bounded by one commit
 * per request. In per-request mode every event is its own transaction (the benchmark's baseline).
 *
 * <p>Every batch is sealed: its last row carries the writer's Ed25519 signature over the batch's range and last hash
 * ({@link Seal}), made with the audit signing key, which the database never sees. So a row only Lanyard can have written
 * is told from one anyone with the database password inserted, however correct its hash.
 *
 * <p>What it refuses to do, so that one fault cannot spread: chain onto a head it cannot authenticate (a row without a
 * valid writer seal, a malformed or altered row, or a table emptied behind the log's back with no signed checkpoint to
 * continue from) — it then fails every append with {@link AuditUnavailableException}, says why and at which seq in
 * {@link #problem()} and the gauge {@code lanyard.audit.head.refused}, until the row is repaired or quarantined by the
 * schema owner ({@link AuditQuarantine}); let one event that
 * PostgreSQL refuses fail the others in its batch — the batch is retried one event at a time; wait without bound —
 * every transaction has lock and statement timeouts, every commit and every append a deadline, and the queue a size
 * limit.
 *
 * <p>A commit past its deadline ({@code commit-timeout}) has its connection closed, so nothing more of it is sent and
 * the pool never hands that connection out again; its events fail (503 {@code AUDIT_UNAVAILABLE}), although the batch
 * may have landed if its COMMIT reached the server before the path went dark. That is the safe side of an unknown
 * outcome: no access is answered without its row, some rows may record an answer that was replaced by 503. The next
 * commit re-reads the head under the chain lock, as every commit does, so a batch that did land is chained after,
 * never written again; the writer logs which it was.
 */
@ApplicationScoped
public class AuditChainWriter implements AuditLog {

    private static final Logger LOG = Logger.getLogger(AuditChainWriter.class);

    /** {@code pg_advisory_xact_lock} key shared by all replicas writing one chain. */
    static final long CHAIN_LOCK = 7_413_202_601L;

    private static final String COLUMNS = AuditStore.COLUMNS;
    /** The head and the row before it: enough to check that the head is a correct link. */
    private static final String HEAD = "select " + COLUMNS + " from audit_event where seq >= "
            + "(select max(seq) from audit_event) - 1 order by seq";
    private static final String NEWEST_CHECKPOINT =
            "select seq, hash, signed_at, key_id, signature from audit_checkpoint order by seq desc limit 1";
    private static final String HASH_AT = "select hash from audit_event where seq = $1";
    private static final String CHECKPOINT_AT =
            "select seq, hash, signed_at, key_id, signature from audit_checkpoint where seq = $1";
    /** The batch, one array per column; the seal's three columns are null but on the batch's last row. */
    private static final String INSERT = """
            insert into audit_event (format, seq, hash, occurred_at, request_id, actor_kind, subject, operation, target_kind,
                                     backend, path, detail, version, lease_hmac, outcome, status, error_code, client_address,
                                     credential_id, seal_first, seal_key_id, seal_signature)
            select %d, * from unnest($1::bigint[], $2::bytea[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                                 $14::text[], $15::int[], $16::text[], $17::text[], $18::text[], $19::bigint[], $20::text[],
                                 $21::bytea[])""".formatted(CanonicalForm.FORMAT);

    /** The last link in the chain: the seq and hash the next event is chained after. */
    private record Link(long seq, byte[] hash) {
        boolean sameAs(Link other) {
            return other != null && seq == other.seq && MessageDigest.isEqual(hash, other.hash);
        }
    }

    /** An event waiting for its batch; {@code taken} once a commit carries it, {@code cancelled} past its deadline. */
    private static final class Pending {
        private static final int QUEUED = 0;
        private static final int TAKEN = 1;
        private static final int CANCELLED = 2;

        final AuditEvent event;
        /** The appending request's trace: the commit that carries the event is linked to it. */
        final Context trace;
        final CompletableFuture<Void> committed = new CompletableFuture<>();
        private final AtomicInteger state = new AtomicInteger(QUEUED);

        Pending(AuditEvent event, Context trace) {
            this.event = event;
            this.trace = trace;
        }

        boolean take() {
            return state.compareAndSet(QUEUED, TAKEN);
        }

        boolean cancel() {
            return state.compareAndSet(QUEUED, CANCELLED);
        }
    }

    /**
     * One commit's hold on its connection, so that its deadline can close it, and the link its batch ends at once the
     * insert was acknowledged (from then on only the COMMIT is outstanding, and the batch may land without an answer).
     * A deadline that passes in the instant between the pool taking the connection back and the commit's answer
     * arriving here closes a connection another operation may already hold: that operation fails once, cleanly.
     */
    private static final class Attempt {
        private SqlConnection connection;
        private boolean abandoned;
        private Link inserted;

        /** Called with the transaction's connection; false when the deadline passed while it was being acquired. */
        synchronized boolean started(SqlConnection connection) {
            this.connection = connection;
            return !abandoned;
        }

        synchronized void inserted(Link link) {
            this.inserted = link;
        }

        /** Gives up on the commit: closes its connection; the link the batch would end at if it still landed, or null. */
        synchronized Link abandon() {
            abandoned = true;
            if (connection != null) {
                DatabaseConnections.abort(connection);
            }
            return inserted;
        }
    }

    /** The head cannot be chained onto; carries the operator-facing reason and the seq at fault. */
    static final class UnverifiableHeadException extends RuntimeException {
        final long seq;

        UnverifiableHeadException(long seq, String reason) {
            super(reason, null, false, false);
            this.seq = seq;
        }
    }

    /** Where an operator is sent when the writer refuses the head. */
    static final String RUNBOOK = "docs/runbooks/LanyardAuditHeadRefused.md";

    private final Pool pool;
    private final Tracer tracer;
    private final AuditConfig config;
    private final AuditMetrics metrics;
    private final CheckpointSigner signer;
    private final byte[] publicKey;
    /** The seq of the head this writer refuses to chain onto, 0 while it has none: exported for the alert. */
    private final AtomicLong refusedHead = new AtomicLong();
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final String timeouts;
    /** The first round trip of a commit: time limits, the chain lock and the head, as one simple-protocol query. */
    private final String lockedHead;
    /** The head this writer itself committed last: when it is still the head, it needs no verification. */
    private volatile Link lastCommitted;
    /** Where a batch abandoned after its insert would end, until a later head tells whether it landed. */
    private volatile Link unsettled;
    /** Why the writer cannot append right now, or null. */
    private volatile String problem;
    /** The newest queued event's outcome: batches commit in queue order, so once it settles all before it have. */
    private volatile CompletableFuture<Void> newest = CompletableFuture.completedFuture(null);

    AuditChainWriter(Pool pool, AuditConfig config, AuditMetrics metrics, CheckpointSigner signer, MeterRegistry meters,
                     Tracer tracer) {
        this.pool = pool;
        this.tracer = tracer;
        this.config = config;
        this.metrics = metrics;
        this.signer = signer;
        this.publicKey = signer.publicKey();
        // The last one is for the server's side of a lost path: a transaction whose client went silent (its commit
        // abandoned, its connection closed into a black hole) is rolled back, and the chain lock released for the other
        // replicas, within the commit deadline, rather than whenever TCP notices.
        this.timeouts = "set local lock_timeout = " + config.lockTimeout().toMillis()
                + "; set local statement_timeout = " + config.statementTimeout().toMillis()
                + "; set local idle_in_transaction_session_timeout = " + config.commitTimeout().toMillis();
        this.lockedHead = timeouts + "; select pg_advisory_xact_lock(" + CHAIN_LOCK + "); " + HEAD;
        Gauge.builder("lanyard.audit.queue.depth", queued, AtomicInteger::get)
                .description("audit events waiting for a commit").register(meters);
        Gauge.builder("lanyard.audit.head.refused", refusedHead, AtomicLong::get)
                .description("seq of the chain head this replica refuses to chain onto (no valid writer seal, altered or"
                        + " malformed), 0 while the head verifies; every append fails meanwhile").register(meters);
    }

    /** Why appends fail right now (for readiness), or empty when the writer is healthy. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /**
     * Checks, without writing, that the next event could be chained: the database answers and its head verifies.
     * Readiness calls it, so a writer that refused to append recovers once the head is repaired, even with no traffic.
     */
    public Uni<Optional<String>> check() {
        return pool.withTransaction(connection -> connection.query(timeouts).execute()
                        .chain(() -> connection.query(HEAD).execute())
                        .chain(head -> verifiedHead(connection, head)))
                .map(link -> {
                    headAccepted();
                    return Optional.<String>empty();
                })
                .onFailure(UnverifiableHeadException.class).recoverWithItem(failure -> {
                    headRefused((UnverifiableHeadException) failure);
                    return Optional.of(problem);
                })
                .onFailure().recoverWithItem(failure -> Optional.of("the audit database cannot be reached"));
    }

    /**
     * Waits, at most {@code bound}, until every event queued so far has been committed or has failed: at shutdown,
     * so that the final checkpoint covers them.
     *
     * @return whether the queue settled within the bound
     */
    public boolean awaitQueued(Duration bound) {
        try {
            newest.handle((ok, failure) -> null).get(bound.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Uni<Void> append(AuditEvent event) {
        return ContextHop.returnToCaller(Spans.around(tracer, "lanyard.audit.append", () -> queued(event)))
                .onFailure(failure -> !(failure instanceof AuditUnavailableException)).transform(failure -> {
                    LOG.errorf("audit event for request %s could not be written: %s", event.correlationId(), failure.getMessage());
                    metrics.appendFailed(AuditMetrics.Failure.DATABASE);
                    return new AuditUnavailableException(failure);
                });
    }

    private Uni<Void> queued(AuditEvent event) {
        return Uni.createFrom().deferred(() -> {
            if (config.mode() == AuditConfig.Mode.PER_REQUEST) {
                return commit(List.of(event), commitSpan(List.of(Context.current()))).replaceWithVoid();
            }
            if (queued.incrementAndGet() > config.maxQueue()) {
                queued.decrementAndGet();
                return Uni.createFrom().failure(unavailable(AuditMetrics.Failure.QUEUE_FULL, "the audit queue is full"));
            }
            Pending pending = new Pending(event, Context.current());
            newest = pending.committed;
            queue.add(pending);
            drain();
            // A copy: Mutiny cancels the stage it waits on when the append deadline passes, and the event's own outcome
            // must not be cancelled with it (it would answer 503 for an event its commit is about to write).
            return Uni.createFrom().completionStage(pending.committed.copy())
                    .ifNoItem().after(config.appendTimeout()).recoverWithUni(() -> {
                        if (pending.cancel()) {
                            // Never written: it is skipped when its turn comes.
                            queued.decrementAndGet();
                            AuditUnavailableException late = unavailable(AuditMetrics.Failure.TIMEOUT,
                                    "the audit log did not take the event in time");
                            pending.committed.completeExceptionally(late);
                            return Uni.createFrom().failure(late);
                        }
                        // Already in a commit, which commit-timeout bounds: its outcome is the answer.
                        return Uni.createFrom().completionStage(pending.committed.copy());
                    });
        });
    }

    /**
     * The span of one group commit: a child of the first event's append, linked to every other event's, so each request's
     * trace leads to the commit its event waited for.
     */
    private SpanBuilder commitSpan(List<Context> traces) {
        SpanBuilder builder = tracer.spanBuilder("lanyard.audit.commit").setParent(traces.getFirst())
                .setAttribute("lanyard.audit.events", traces.size());
        traces.stream().skip(1).map(trace -> Span.fromContext(trace).getSpanContext())
                .filter(link -> link.isValid()).distinct().limit(128).forEach(builder::addLink);
        return builder;
    }

    private AuditUnavailableException unavailable(AuditMetrics.Failure failure, String reason) {
        metrics.appendFailed(failure);
        return new AuditUnavailableException(new IllegalStateException(reason));
    }

    /** Starts a commit of everything queued, unless one is in flight (it will start the next when it ends). */
    private void drain() {
        if (!writing.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>();
        Pending next;
        while (batch.size() < config.maxBatch() && (next = queue.poll()) != null) {
            if (next.take()) {
                queued.decrementAndGet();
                batch.add(next);
            }
        }
        if (batch.isEmpty()) {
            writing.set(false);
            // An event may have been queued after the poll and before the flag was cleared.
            if (!queue.isEmpty()) {
                drain();
            }
            return;
        }
        write(batch).subscribe().with(ignored -> {
            writing.set(false);
            drain();
        }, failure -> {
            // write() settles every event itself; this is only reached on a bug.
            LOG.error("audit writer failed unexpectedly", failure);
            batch.forEach(p -> p.committed.completeExceptionally(failure));
            writing.set(false);
            drain();
        });
    }

    /**
     * Commits the batch; if PostgreSQL refuses it because of the data in it, commits its events one at a time, so the
     * event at fault fails alone. Completes every pending event either way.
     */
    private Uni<Void> write(List<Pending> batch) {
        return commit(batch.stream().map(p -> p.event).toList(), commitSpan(batch.stream().map(p -> p.trace).toList()))
                .invoke(() -> batch.forEach(p -> p.committed.complete(null)))
                .replaceWithVoid()
                .onFailure().recoverWithUni(failure -> {
                    if (batch.size() == 1 || !refusedForItsData(failure)) {
                        batch.forEach(p -> p.committed.completeExceptionally(failure));
                        return Uni.createFrom().voidItem();
                    }
                    LOG.warnf("an audit batch of %d events was refused (%s); writing them one at a time", batch.size(),
                            failure.getMessage());
                    return one(batch.iterator());
                });
    }

    private Uni<Void> one(Iterator<Pending> remaining) {
        if (!remaining.hasNext()) {
            return Uni.createFrom().voidItem();
        }
        Pending pending = remaining.next();
        return commit(List.of(pending.event), commitSpan(List.of(pending.trace)))
                .onItemOrFailure().transformToUni((ok, failure) -> {
                    if (failure == null) {
                        pending.committed.complete(null);
                    } else {
                        pending.committed.completeExceptionally(failure);
                    }
                    return one(remaining);
                });
    }

    /** Data exceptions, integrity violations and our triggers' refusals: the rows, not the connection, are at fault. */
    private static boolean refusedForItsData(Throwable failure) {
        if (failure instanceof IllegalArgumentException) {
            return true; // an event the canonical form cannot encode
        }
        return failure instanceof PgException pg && pg.getSqlState() != null
                && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23"));
    }

    /**
     * One transaction: time limits, the chain lock, a verified head, the events chained in memory, one insert; all of it,
     * waiting for a connection included, within {@code commit-timeout}.
     */
    private Uni<Link> commit(List<AuditEvent> events, SpanBuilder span) {
        long started = System.nanoTime();
        Attempt attempt = new Attempt();
        // Three round trips after BEGIN (the locked head, the insert, COMMIT): every event in the batch waits for all three.
        return Spans.around(span, () -> pool.withTransaction(connection -> attempt.started(connection)
                        ? connection.query(lockedHead).execute()
                                .chain(results -> verifiedHead(connection, lastResult(results)))
                                .call(head -> settle(connection, head))
                                .chain(head -> insert(connection, head, events)).invoke(attempt::inserted)
                        : Uni.createFrom().failure(new IllegalStateException("abandoned before it began")))
                        .ifNoItem().after(config.commitTimeout()).failWith(() -> abandoned(attempt, events.size())),
                        (s, link) -> { })
                .invoke(link -> {
                    lastCommitted = link;
                    headAccepted();
                    metrics.committed(events.size(), System.nanoTime() - started);
                })
                .onFailure(UnverifiableHeadException.class)
                .invoke(failure -> headRefused((UnverifiableHeadException) failure));
    }

    private void headAccepted() {
        problem = null;
        refusedHead.set(0);
    }

    private void headRefused(UnverifiableHeadException failure) {
        if (!failure.getMessage().equals(problem)) {
            LOG.errorf("audit log: %s; refusing to append until it is repaired (%s)", failure.getMessage(), RUNBOOK);
        }
        problem = failure.getMessage();
        refusedHead.set(failure.seq);
    }

    /** The commit deadline passed: close the connection, fail the batch, remember where it would end if it landed. */
    private Throwable abandoned(Attempt attempt, int events) {
        Link wouldEnd = attempt.abandon();
        if (wouldEnd != null) {
            unsettled = wouldEnd;
        }
        LOG.errorf("an audit commit of %d events did not finish within %s (lanyard.audit.commit-timeout): its connection "
                + "was closed and its requests refused; %s", events, config.commitTimeout(), wouldEnd == null
                ? "its insert had not been acknowledged, so no COMMIT was sent and nothing of it was written"
                : "its insert had been acknowledged, so its COMMIT may have landed at seq " + wouldEnd.seq()
                        + " (the next commit tells)");
        return new IllegalStateException("the audit commit did not finish within lanyard.audit.commit-timeout");
    }

    /**
     * After a commit abandoned once its insert was acknowledged, looks (under the chain lock, so that transaction has
     * ended either way) whether its last row is in the log, and says so: an operator can then tell which refused
     * requests have rows. One extra round trip, only after such a commit.
     */
    private Uni<Void> settle(SqlConnection connection, Link head) {
        Link pending = unsettled;
        if (pending == null) {
            return Uni.createFrom().voidItem();
        }
        if (head.seq() < pending.seq()) {
            unsettled = null;
            LOG.infof("the audit commit abandoned at its deadline did not land: nothing of it was written");
            return Uni.createFrom().voidItem();
        }
        return connection.preparedQuery(HASH_AT).execute(Tuple.of(pending.seq())).invoke(rows -> {
            unsettled = null;
            Row row = rows.iterator().hasNext() ? rows.iterator().next() : null;
            if (row != null && MessageDigest.isEqual(row.getBuffer("hash").getBytes(), pending.hash())) {
                LOG.warnf("the audit commit abandoned at its deadline did land (its last row is seq %d): its events are in the "
                        + "log although their requests were answered 503 AUDIT_UNAVAILABLE; the chain continues after them",
                        pending.seq());
            } else {
                LOG.infof("the audit commit abandoned at its deadline did not land: nothing of it was written");
            }
        }).replaceWithVoid();
    }

    /** A multi-statement query answers with one result per statement; the last one is the query's. */
    private static RowSet<Row> lastResult(RowSet<Row> results) {
        RowSet<Row> last = results;
        while (last.next() != null) {
            last = last.next();
        }
        return last;
    }

    private Uni<Link> verifiedHead(SqlConnection connection, RowSet<Row> rows) {
        List<ChainedEvent> tail = new ArrayList<>();
        for (Row row : rows) {
            try {
                tail.add(event(row));
            } catch (IllegalArgumentException | NullPointerException e) {
                long seq = row.getLong("seq");
                return Uni.createFrom().failure(new UnverifiableHeadException(seq, "the audit row at seq " + seq
                        + " is malformed (" + e.getMessage() + "): it was not written by Lanyard"));
            }
        }
        if (tail.isEmpty()) {
            // Empty: a new log, or one whose rows were removed behind its back; then it continues after the newest
            // signed checkpoint instead of restarting at seq 1 (the verifier reports the missing rows).
            return connection.query(NEWEST_CHECKPOINT).execute().map(checkpoints -> checkpoints.iterator().hasNext()
                    ? signedLink(checkpoints.iterator().next())
                    : new Link(0, CanonicalForm.GENESIS));
        }
        ChainedEvent head = tail.getLast();
        Link link = new Link(head.seq(), head.hash());
        if (link.sameAs(lastCommitted)) {
            return Uni.createFrom().item(link);
        }
        if (tail.size() == 2) {
            return Uni.createFrom().item(authenticated(head, tail.getFirst(), checked(head, tail.getFirst().hash())));
        }
        if (head.seq() == 1) {
            return Uni.createFrom().item(authenticated(head, null, checked(head, CanonicalForm.GENESIS)));
        }
        // The row before the head was pruned: the checkpoint that sealed it anchors the head.
        return connection.preparedQuery(CHECKPOINT_AT).execute(Tuple.of(head.seq() - 1)).map(anchor -> {
            if (!anchor.iterator().hasNext()) {
                throw new UnverifiableHeadException(head.seq(), "the audit row before the head (seq " + (head.seq() - 1)
                        + ") is missing and no checkpoint seals it");
            }
            return authenticated(head, null, checked(head, signedLink(anchor.iterator().next()).hash()));
        });
    }

    private static Link checked(ChainedEvent head, byte[] previousHash) {
        if (!MessageDigest.isEqual(head.chainedAfter(previousHash), head.hash())) {
            throw new UnverifiableHeadException(head.seq(), "the audit row at the head (seq " + head.seq()
                    + ") does not verify");
        }
        return new Link(head.seq(), head.hash());
    }

    /**
     * The head as a link to chain onto, if a Lanyard writer made it: its batch's seal verifies. A head in the old,
     * unsealed format is accepted only where it can be old: the database refuses format 2 rows after format 3 ones
     * (V13), and so does this check.
     */
    private Link authenticated(ChainedEvent head, ChainedEvent before, Link link) {
        if (head.format() == CanonicalForm.LEGACY_FORMAT) {
            if (before != null && before.format() != CanonicalForm.LEGACY_FORMAT) {
                throw new UnverifiableHeadException(head.seq(), "the audit row at seq " + head.seq()
                        + " is in the unsealed format 2 after sealed rows: it was not written by Lanyard");
            }
            return link;
        }
        Seal seal = head.seal();
        if (seal == null) {
            throw new UnverifiableHeadException(head.seq(), "the audit row at seq " + head.seq()
                    + " carries no writer seal: it was not written by Lanyard");
        }
        if (!CheckpointSigner.verify(seal, head.seq(), head.hash(), publicKey)) {
            throw new UnverifiableHeadException(head.seq(), "the writer seal of the audit row at seq " + head.seq()
                    + " does not verify (key id " + seal.keyId() + "): it was not written by Lanyard");
        }
        return link;
    }

    private Link signedLink(Row row) {
        Checkpoint checkpoint = AuditStore.checkpoint(row);
        if (!CheckpointSigner.verify(checkpoint, publicKey)) {
            throw new UnverifiableHeadException(checkpoint.seq(), "the checkpoint at seq " + checkpoint.seq()
                    + " that the audit log would continue from has no valid signature");
        }
        return new Link(checkpoint.seq(), checkpoint.hash());
    }

    private static ChainedEvent event(Row row) {
        return AuditStore.event(row);
    }

    /** The row an event becomes at {@code seq}, before it is chained. */
    static ChainedEvent chained(long seq, AuditEvent e) {
        Target t = e.target();
        Result r = e.result();
        return new ChainedEvent(CanonicalForm.FORMAT, seq, e.occurredAt(), e.correlationId(), e.actorKind().spelling(),
                e.subject(), e.credentialId(), e.operation().spelling(), t.kind().spelling(), t.backend(), t.path(),
                t.detail(), t.version(), t.leaseHmac(), r.outcome().spelling(), r.status(), r.errorCode(), e.clientAddress(),
                null, null);
    }

    private Uni<Link> insert(SqlConnection connection, Link head, List<AuditEvent> events) {
        long seq = head.seq();
        byte[] hash = head.hash();
        int n = events.size();
        Long[] seqs = new Long[n];
        Buffer[] hashes = new Buffer[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        String[][] text = new String[14][n];
        Integer[] statuses = new Integer[n];
        for (int i = 0; i < n; i++) {
            seq++;
            ChainedEvent row = chained(seq, events.get(i));
            hash = CanonicalForm.chain(hash, row.canonical());
            seqs[i] = seq;
            hashes[i] = Buffer.buffer(hash);
            times[i] = row.occurredAt().atOffset(ZoneOffset.UTC);
            text[0][i] = row.requestId();
            text[1][i] = row.actorKind();
            text[2][i] = row.subject();
            text[3][i] = row.operation();
            text[4][i] = row.targetKind();
            text[5][i] = row.backend();
            text[6][i] = row.path();
            text[7][i] = row.detail();
            text[8][i] = row.version();
            text[9][i] = row.leaseHmac();
            text[10][i] = row.outcome();
            statuses[i] = row.status();
            text[11][i] = row.errorCode();
            text[12][i] = row.clientAddress();
            text[13][i] = row.credentialId();
        }
        // One signature per batch, over its range and last hash: the chain binds every row before it.
        Seal seal = signer.seal(head.seq() + 1, seq, hash);
        Long[] sealFirst = new Long[n];
        String[] sealKeyId = new String[n];
        Buffer[] sealSignature = new Buffer[n];
        sealFirst[n - 1] = seal.firstSeq();
        sealKeyId[n - 1] = seal.keyId();
        sealSignature[n - 1] = Buffer.buffer(seal.signature());
        Tuple values = Tuple.tuple(List.of(seqs, hashes, times, text[0], text[1], text[2], text[3], text[4], text[5],
                text[6], text[7], text[8], text[9], text[10], statuses, text[11], text[12], text[13], sealFirst, sealKeyId,
                sealSignature));
        Link last = new Link(seq, hash);
        return connection.preparedQuery(INSERT).execute(values).replaceWith(last);
    }
}
