package dev.lanyard.audit;

import dev.lanyard.support.ContextHop;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Appends events to the hash chain in PostgreSQL (docs/audit-chain.md).
 *
 * <p>In group-commit mode one writer at a time takes everything queued while the previous commit was in
 * flight, chains it under the advisory lock and inserts it with a single statement; every caller's Uni
 * completes after its batch committed. Throughput then grows with load instead of being bounded by one commit
 * per request. In per-request mode every event is its own transaction (the benchmark's baseline).
 */
@ApplicationScoped
public class AuditChainWriter implements AuditLog {

    private static final Logger LOG = Logger.getLogger(AuditChainWriter.class);

    /** {@code pg_advisory_xact_lock} key shared by all replicas writing one chain. */
    static final long CHAIN_LOCK = 7_413_202_601L;

    private static final String HEAD = "select seq, hash from audit_event where seq = (select max(seq) from audit_event)";
    private static final String INSERT = """
            insert into audit_event (seq, hash, occurred_at, request_id, subject, operation, backend, path, version,
                                     lease_hmac, outcome, status, error_code, client_address)
            select * from unnest($1::bigint[], $2::bytea[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::text[],
                                 $14::text[])""";

    private record Pending(AuditEvent event, CompletableFuture<Void> committed) {}

    private final Pool pool;
    private final AuditConfig config;
    private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AuditMetrics metrics;

    AuditChainWriter(Pool pool, AuditConfig config, AuditMetrics metrics) {
        this.pool = pool;
        this.config = config;
        this.metrics = metrics;
    }

    @Override
    public Uni<Void> append(AuditEvent event) {
        return ContextHop.returnToCaller(Uni.createFrom().deferred(() -> {
            if (config.mode() == AuditConfig.Mode.PER_REQUEST) {
                return commit(List.of(event));
            }
            Pending pending = new Pending(event, new CompletableFuture<>());
            queue.add(pending);
            drain();
            return Uni.createFrom().completionStage(pending.committed());
        })).onFailure(failure -> !(failure instanceof AuditUnavailableException)).transform(failure -> {
            LOG.errorf("audit event for request %s could not be written: %s", event.requestId(), failure.getMessage());
            return new AuditUnavailableException(failure);
        });
    }

    /** Starts a commit of everything queued, unless one is in flight (it will start the next when it ends). */
    private void drain() {
        if (!writing.compareAndSet(false, true)) {
            return;
        }
        List<Pending> batch = new ArrayList<>();
        Pending next;
        while (batch.size() < config.maxBatch() && (next = queue.poll()) != null) {
            batch.add(next);
        }
        if (batch.isEmpty()) {
            writing.set(false);
            // An event may have been queued after the poll and before the flag was cleared.
            if (!queue.isEmpty()) {
                drain();
            }
            return;
        }
        commit(batch.stream().map(Pending::event).toList()).subscribe().with(
                ok -> finish(batch, null),
                failure -> finish(batch, failure));
    }

    private void finish(List<Pending> batch, Throwable failure) {
        writing.set(false);
        drain();
        for (Pending pending : batch) {
            if (failure == null) {
                pending.committed().complete(null);
            } else {
                pending.committed().completeExceptionally(failure);
            }
        }
    }

    /** One transaction: lock the chain, read its head, chain the events in memory, insert them, commit. */
    private Uni<Void> commit(List<AuditEvent> events) {
        long started = System.nanoTime();
        return pool.withTransaction(connection -> connection
                        .query("select pg_advisory_xact_lock(" + CHAIN_LOCK + ")").execute()
                        .chain(() -> connection.query(HEAD).execute())
                        .chain(head -> insert(connection, head.iterator().hasNext() ? head.iterator().next() : null, events)))
                .invoke(() -> metrics.committed(events.size(), System.nanoTime() - started));
    }

    private Uni<Void> insert(SqlConnection connection, Row head, List<AuditEvent> events) {
        long seq = head == null ? 0 : head.getLong("seq");
        byte[] hash = head == null ? CanonicalForm.GENESIS : head.getBuffer("hash").getBytes();
        int n = events.size();
        Long[] seqs = new Long[n];
        Buffer[] hashes = new Buffer[n];
        OffsetDateTime[] times = new OffsetDateTime[n];
        String[][] text = new String[10][n];
        Integer[] statuses = new Integer[n];
        for (int i = 0; i < n; i++) {
            seq++;
            ChainedEvent chained = ChainedEvent.of(seq, events.get(i), null);
            hash = CanonicalForm.chain(hash, chained.canonical());
            seqs[i] = seq;
            hashes[i] = Buffer.buffer(hash);
            times[i] = chained.occurredAt().atOffset(ZoneOffset.UTC);
            text[0][i] = chained.requestId();
            text[1][i] = chained.subject();
            text[2][i] = chained.operation();
            text[3][i] = chained.backend();
            text[4][i] = chained.path();
            text[5][i] = chained.version();
            text[6][i] = chained.leaseHmac();
            text[7][i] = chained.outcome();
            statuses[i] = chained.status();
            text[8][i] = chained.errorCode();
            text[9][i] = chained.clientAddress();
        }
        Tuple values = Tuple.tuple(List.of(seqs, hashes, times, text[0], text[1], text[2], text[3], text[4], text[5],
                text[6], text[7], statuses, text[8], text[9]));
        return connection.preparedQuery(INSERT).execute(values).replaceWithVoid();
    }
}
