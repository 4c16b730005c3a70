package dev.lanyard.audit.store;

import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.Seal;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads the audit log for auditors, checkpoints and retention: filtered pages, full exports, chain verification, "who
 * held what". Everything goes through the service's one reactive PostgreSQL pool, in keyset pages by seq (no cursor,
 * no connection held between pages), so a long export never ties up the event loop or a JDBC connection. The
 * blocking methods here await those pages: call them from a virtual thread (the audit API, the checkpoint and
 * archive work do), never from the event loop.
 */
@ApplicationScoped
public class AuditStore {

    /** The columns of one chained row, in {@link ChainedEvent}'s order. */
    static final String COLUMNS = "format, seq, hash, occurred_at, request_id, actor_kind, subject, credential_id, operation, "
            + "target_kind, backend, path, detail, version, lease_hmac, outcome, status, error_code, client_address, "
            + "seal_first, seal_key_id, seal_signature";

    /** Rows per page of an export or verification. */
    private static final int PAGE = 1000;

    /** Largest plausible gap between an event's timestamp and its commit (a long GC pause, a slow commit). */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private final Pool pool;

    AuditStore(Pool pool) {
        this.pool = pool;
    }

    /** A link of the chain: a sequence number and the hash stored there. */
    public record Link(long seq, byte[] hash) {}

    /**
     * One identity's hold on a secret: a lease ({@code leaseHmac}, from issue to expiry or revocation) or reads of a
     * static value ({@code version}, first to last read in the window).
     */
    public record Holding(String subject, String kind, String leaseHmac, String version, Instant from, Instant until) {}

    /** One page of events matching the query, in chain order. */
    public List<ChainedEvent> page(AuditQuery query) {
        return await(fetch(query, query.afterSeq().orElse(0L), query.limit()));
    }

    /** Every event matching the query (the limit is ignored), in chain order, a page at a time. */
    public void export(AuditQuery query, Consumer<ChainedEvent> sink) {
        pages(query, query.afterSeq().orElse(0L)).forEachRemaining(sink);
    }

    /** The newest chained event's seq and hash, if the log has any. */
    public Optional<Link> head() {
        RowSet<Row> rows = await(pool.query("select seq, hash from audit_event where seq = (select max(seq) from audit_event)")
                .execute());
        return first(rows).map(row -> new Link(row.getLong("seq"), row.getBuffer("hash").getBytes()));
    }

    /** The lowest chained sequence number still in the log (higher than 1 after pruning), if any. */
    public Optional<Long> firstSeq() {
        RowSet<Row> rows = await(pool.query("select min(seq) as first from audit_event").execute());
        return first(rows).map(row -> row.getLong("first"));
    }

    /**
     * The end of the batch holding {@code seq}: the first row at or after it that carries a writer seal (or is of the
     * old, unsealed format); empty when no such row follows.
     */
    public Optional<Long> batchEnd(long seq) {
        // A batch is at most lanyard.audit.max-batch rows: the scan forward from seq stops within one batch.
        RowSet<Row> rows = await(pool.preparedQuery("select seq from audit_event where seq >= $1"
                + " and (seal_first is not null or format = 2) order by seq limit 1").execute(Tuple.of(seq)));
        return first(rows).map(row -> row.getLong("seq"));
    }

    /** The stored hash at one sequence number. */
    public Optional<byte[]> hashAt(long seq) {
        RowSet<Row> rows = await(pool.preparedQuery("select hash from audit_event where seq = $1").execute(Tuple.of(seq)));
        return first(rows).map(row -> row.getBuffer("hash").getBytes());
    }

    /** The checkpoints recorded in the database, oldest first. Their signatures are not checked here. */
    public List<Checkpoint> checkpoints() {
        RowSet<Row> rows = await(pool.query("select seq, hash, signed_at, key_id, signature from audit_checkpoint order by seq")
                .execute());
        List<Checkpoint> found = new ArrayList<>();
        rows.forEach(row -> found.add(checkpoint(row)));
        return found;
    }

    static Checkpoint checkpoint(Row row) {
        return new Checkpoint(row.getLong("seq"), row.getBuffer("hash").getBytes(),
                row.getOffsetDateTime("signed_at").toInstant(), row.getString("key_id"), row.getBuffer("signature").getBytes());
    }

    /** Verifies events after {@code anchorSeq} (up to {@code toSeq} when given) against the anchor and the checkpoints. */
    public ChainVerifier.Result verify(long anchorSeq, byte[] anchorHash, Optional<Long> toSeq, List<Checkpoint> checkpoints,
                                       byte[] publicKey, ChainVerifier.Scope scope) {
        AuditQuery range = toSeq.map(upTo -> AuditQuery.range(anchorSeq, upTo)).orElseGet(() -> AuditQuery.after(anchorSeq));
        return new ChainVerifier().verify(() -> pages(range, anchorSeq), anchorHash, anchorSeq, checkpoints, publicKey, scope);
    }

    /**
     * Who held leases on a path (or one lease) during [from, to), from the lease records, and who read the path (or
     * one version of it) in that window, from the log itself.
     */
    public List<Holding> holders(String backend, String path, Optional<String> version, Optional<String> leaseHmac,
                                 Instant from, Instant to) {
        List<Holding> holdings = new ArrayList<>();
        if (version.isEmpty()) {
            String leases = "select owner, fingerprint, issued_at, least(expires_at, coalesce(revoked_at, expires_at)) as ended_at "
                    + "from lease where backend = $1 and path = $2 and issued_at < $3 "
                    + "and least(expires_at, coalesce(revoked_at, expires_at)) > $4" + (leaseHmac.isPresent() ? " and fingerprint = $5" : "")
                    + " order by issued_at";
            Tuple params = Tuple.of(backend, path, utc(to), utc(from));
            leaseHmac.ifPresent(params::addString);
            await(pool.preparedQuery(leases).execute(params)).forEach(row -> holdings.add(new Holding(row.getString("owner"),
                    "lease", row.getString("fingerprint"), null, instant(row, "issued_at"), instant(row, "ended_at"))));
        }
        if (leaseHmac.isEmpty()) {
            String reads = "select subject, version, min(occurred_at) as first_at, max(occurred_at) as last_at from audit_event "
                    + "where backend = $1 and path = $2 and operation = 'read' and outcome = 'success' and occurred_at >= $3 "
                    + "and occurred_at < $4" + (version.isPresent() ? " and version = $5" : "")
                    + " group by subject, version order by subject, version";
            Tuple params = Tuple.of(backend, path, utc(from), utc(to));
            version.ifPresent(params::addString);
            await(pool.preparedQuery(reads).execute(params)).forEach(row -> holdings.add(new Holding(row.getString("subject"),
                    "read", null, row.getString("version"), instant(row, "first_at"), instant(row, "last_at"))));
        }
        return holdings;
    }

    /** The events matching {@code query} after {@code afterSeq}, fetched a page at a time as they are consumed. */
    private Iterator<ChainedEvent> pages(AuditQuery query, long afterSeq) {
        return new Iterator<>() {
            private List<ChainedEvent> page = List.of();
            private int next;
            private long last = afterSeq;
            private boolean exhausted;

            @Override
            public boolean hasNext() {
                if (next < page.size()) {
                    return true;
                }
                if (exhausted) {
                    return false;
                }
                page = await(fetch(query, last, PAGE));
                next = 0;
                exhausted = page.size() < PAGE;
                if (!page.isEmpty()) {
                    last = page.getLast().seq();
                }
                return !page.isEmpty();
            }

            @Override
            public ChainedEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return page.get(next++);
            }
        };
    }

    /** Up to {@code limit} events matching {@code query} with seq above {@code afterSeq}, in seq order. */
    private Uni<List<ChainedEvent>> fetch(AuditQuery query, long afterSeq, int limit) {
        Sql sql = new Sql("select " + COLUMNS + " from audit_event where seq is not null");
        sql.and("seq > ?", afterSeq);
        query.upToSeq().ifPresent(v -> sql.and("seq <= ?", v));
        query.from().ifPresent(v -> {
            // seq order is commit order and occurred_at is stamped just before: the two agree to well within
            // CLOCK_SKEW, so the time window becomes a seq range the seq index can scan, and the exact
            // occurred_at condition still decides.
            sql.and("seq >= coalesce((select seq from audit_event where seq is not null and occurred_at >= ?"
                    + " order by occurred_at limit 1), 9223372036854775807)", utc(v.minus(CLOCK_SKEW)));
            sql.and("occurred_at >= ?", utc(v));
        });
        query.to().ifPresent(v -> {
            sql.and("seq <= coalesce((select seq from audit_event where seq is not null and occurred_at < ?"
                    + " order by occurred_at desc limit 1), 0)", utc(v.plus(CLOCK_SKEW)));
            sql.and("occurred_at < ?", utc(v));
        });
        query.subject().ifPresent(v -> sql.and("subject = ?", v));
        query.operation().ifPresent(v -> sql.and("operation = ?", v));
        query.outcome().ifPresent(v -> sql.and("outcome = ?", v));
        query.backend().ifPresent(v -> sql.and("backend = ?", v));
        query.leaseHmac().ifPresent(v -> sql.and("lease_hmac = ?", v));
        query.requestId().ifPresent(v -> sql.and("request_id = ?", v));
        query.pathGlob().ifPresent(glob -> pathCondition(sql, glob));
        return pool.preparedQuery(sql.text + " order by seq limit " + limit).execute(sql.params)
                .map(rows -> {
                    List<ChainedEvent> events = new ArrayList<>(rows.size());
                    rows.forEach(row -> events.add(event(row)));
                    return events;
                })
                .onFailure(failure -> !(failure instanceof AuditUnavailableException)).transform(AuditUnavailableException::new);
    }

    /**
     * A path glob as conditions the indexes serve in seq order, so a page costs about its size whatever share of the
     * log matches: a literal backend goes to {@code (backend, seq)}, an exact path to {@code (path, seq)}, and the
     * literal directories before the first wildcard to {@code audit_path_prefix (prefix, seq)}, which the database
     * files every event under (V8). The glob's regex then decides, unless the glob is exactly such a subtree.
     */
    private static void pathCondition(Sql sql, String glob) {
        int slash = glob.indexOf('/');
        if (slash <= 0 || glob.substring(0, slash).indexOf('*') >= 0) {
            sql.and("(backend || '/' || path) ~ ?", globToRegex(glob));
            return;
        }
        String backend = glob.substring(0, slash);
        String rest = glob.substring(slash + 1);
        sql.and("backend = ?", backend);
        int star = rest.indexOf('*');
        if (star < 0) {
            sql.and("path = ?", rest);
            return;
        }
        String literal = rest.substring(0, star);
        int directory = literal.lastIndexOf('/');
        if (directory >= 0) {
            sql.and("seq in (select seq from audit_path_prefix where prefix = ?)",
                    backend + "/" + literal.substring(0, directory + 1));
        }
        boolean wholeSubtree = rest.endsWith("**") && star == rest.length() - 2 && directory == literal.length() - 1;
        if (!wholeSubtree) {
            sql.and("(backend || '/' || path) ~ ?", globToRegex(glob));
        }
    }

    /** SQL with numbered parameters, built one condition at a time. */
    private static final class Sql {
        private final StringBuilder text;
        private final Tuple params = Tuple.tuple();

        Sql(String start) {
            this.text = new StringBuilder(start);
        }

        /** Appends {@code and <condition>}, whose single {@code ?} becomes the next numbered parameter. */
        void and(String condition, Object value) {
            params.addValue(value);
            text.append(" and ").append(condition.replace("?", "$" + params.size()));
        }
    }

    /** A row of {@link #COLUMNS} as the chain sees it. */
    static ChainedEvent event(Row row) {
        Long sealFirst = row.getLong("seal_first");
        Seal seal = sealFirst == null ? null
                : new Seal(sealFirst, row.getString("seal_key_id"), row.getBuffer("seal_signature").getBytes());
        return new ChainedEvent(row.getShort("format"), row.getLong("seq"), row.getOffsetDateTime("occurred_at").toInstant(),
                row.getString("request_id"), row.getString("actor_kind"), row.getString("subject"),
                row.getString("credential_id"), row.getString("operation"), row.getString("target_kind"),
                row.getString("backend"), row.getString("path"), row.getString("detail"), row.getString("version"),
                row.getString("lease_hmac"), row.getString("outcome"), row.getInteger("status"), row.getString("error_code"),
                row.getString("client_address"), row.getBuffer("hash").getBytes(), seal);
    }

    private static <T> T await(Uni<T> work) {
        try {
            return work.await().atMost(Duration.ofMinutes(1));
        } catch (AuditUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AuditUnavailableException(e);
        }
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        Iterator<Row> it = rows.iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(Row row, String column) {
        return row.getOffsetDateTime(column).toInstant();
    }

    /** Same glob language as policies: {@code *} within a segment, {@code **} across; everything else literal. */
    static String globToRegex(String glob) {
        StringBuilder regex = new StringBuilder("^");
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                boolean doubleStar = i + 1 < glob.length() && glob.charAt(i + 1) == '*';
                regex.append(doubleStar ? ".*" : "[^/]*");
                i += doubleStar ? 1 : 0;
            } else if ("\\.^$|?+()[]{}".indexOf(c) >= 0) {
                regex.append('\\').append(c);
            } else {
                regex.append(c);
            }
        }
        return regex.append('$').toString();
    }
}
