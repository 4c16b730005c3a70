package dev.lanyard.audit;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Reads the audit log for auditors: filtered pages, full exports and chain verification. These are long,
 * sequential reads, so they use blocking JDBC with server-side cursors and run on virtual threads, away from
 * the event loop and without holding reactive connections.
 */
@ApplicationScoped
public class AuditStore {

    private static final String COLUMNS = "seq, hash, occurred_at, request_id, subject, operation, backend, path, version, "
            + "lease_hmac, outcome, status, error_code, client_address";

    /** Largest plausible gap between an event's timestamp and its commit (a long GC pause, a slow commit). */
    private static final java.time.Duration CLOCK_SKEW = java.time.Duration.ofMinutes(5);

    private final DataSource dataSource;

    AuditStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One page of events matching the query, in chain order. */
    public List<ChainedEvent> page(AuditQuery query) {
        List<ChainedEvent> page = new ArrayList<>();
        stream(query, query.limit(), page::add);
        return page;
    }

    /** Every event matching the query (the limit is ignored), in chain order, streamed. */
    public void export(AuditQuery query, Consumer<ChainedEvent> sink) {
        stream(query, Long.MAX_VALUE, sink);
    }

    private void stream(AuditQuery query, long limit, Consumer<ChainedEvent> sink) {
        StringBuilder sql = new StringBuilder("select " + COLUMNS + " from audit_event where seq is not null");
        List<Object> params = new ArrayList<>();
        query.afterSeq().ifPresent(v -> add(sql, params, " and seq > ?", v));
        query.upToSeq().ifPresent(v -> add(sql, params, " and seq <= ?", v));
        query.from().ifPresent(v -> {
            // seq order is commit order and occurred_at is stamped just before: the two agree to well within
            // CLOCK_SKEW, so the time window becomes a seq range the seq index can scan, and the exact
            // occurred_at condition still decides.
            add(sql, params, " and seq >= coalesce((select seq from audit_event where seq is not null and occurred_at >= ?"
                    + " order by occurred_at limit 1), 9223372036854775807)", v.minus(CLOCK_SKEW).atOffset(java.time.ZoneOffset.UTC));
            add(sql, params, " and occurred_at >= ?", v.atOffset(java.time.ZoneOffset.UTC));
        });
        query.to().ifPresent(v -> {
            add(sql, params, " and seq <= coalesce((select seq from audit_event where seq is not null and occurred_at < ?"
                    + " order by occurred_at desc limit 1), 0)", v.plus(CLOCK_SKEW).atOffset(java.time.ZoneOffset.UTC));
            add(sql, params, " and occurred_at < ?", v.atOffset(java.time.ZoneOffset.UTC));
        });
        query.subject().ifPresent(v -> add(sql, params, " and subject = ?", v));
        query.operation().ifPresent(v -> add(sql, params, " and operation = ?", v));
        query.outcome().ifPresent(v -> add(sql, params, " and outcome = ?", v));
        query.backend().ifPresent(v -> add(sql, params, " and backend = ?", v));
        query.leaseHmac().ifPresent(v -> add(sql, params, " and lease_hmac = ?", v));
        query.requestId().ifPresent(v -> add(sql, params, " and request_id = ?", v));
        query.pathGlob().ifPresent(glob -> {
            // A literal backend segment narrows the scan to the (backend, seq) index before the regex runs.
            int slash = glob.indexOf('/');
            if (slash > 0 && glob.substring(0, slash).indexOf('*') < 0) {
                add(sql, params, " and backend = ?", glob.substring(0, slash));
                // The literal part of the path before any wildcard narrows the scan through the prefix index.
                String rest = glob.substring(slash + 1);
                int star = rest.indexOf('*');
                String prefix = star < 0 ? rest : rest.substring(0, star);
                if (!prefix.isEmpty()) {
                    add(sql, params, " and path like ?", likeEscape(prefix) + "%");
                }
            }
            add(sql, params, " and (backend || '/' || path) ~ ?", globToRegex(glob));
        });
        sql.append(" order by seq");
        if (limit != Long.MAX_VALUE) {
            sql.append(" limit ").append(limit);
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
            try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
                statement.setFetchSize(1000);
                for (int i = 0; i < params.size(); i++) {
                    statement.setObject(i + 1, params.get(i));
                }
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        sink.accept(read(rows));
                    }
                }
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /** A link of the chain: a sequence number and the hash stored there. */
    public record Link(long seq, byte[] hash) {}

    /** The newest chained event's seq and hash, if the log has any. */
    public Optional<Link> head() {
        try (Connection connection = dataSource.getConnection();
             ResultSet rows = connection.createStatement().executeQuery(
                     "select seq, hash from audit_event where seq = (select max(seq) from audit_event)")) {
            return rows.next() ? Optional.of(new Link(rows.getLong(1), rows.getBytes(2))) : Optional.empty();
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /** The checkpoints recorded in the database, oldest first. Their signatures are not checked here. */
    public List<Checkpoint> checkpoints() {
        List<Checkpoint> found = new ArrayList<>();
        try (Connection connection = dataSource.getConnection();
             ResultSet rows = connection.createStatement().executeQuery(
                     "select seq, hash, signed_at, key_id, signature from audit_checkpoint order by seq")) {
            while (rows.next()) {
                found.add(new Checkpoint(rows.getLong(1), rows.getBytes(2), instant(rows, 3), rows.getString(4), rows.getBytes(5)));
            }
            return found;
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /**
     * Records a checkpoint through the database's own function, which refuses one that does not match the stored
     * chain. Returns false when a checkpoint for that seq already exists (another replica signed it first).
     */
    public boolean recordCheckpoint(Checkpoint checkpoint) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("select audit_checkpoint_record(?, ?, ?, ?, ?)")) {
            statement.setLong(1, checkpoint.seq());
            statement.setBytes(2, checkpoint.hash());
            statement.setObject(3, checkpoint.signedAt().atOffset(java.time.ZoneOffset.UTC));
            statement.setString(4, checkpoint.keyId());
            statement.setBytes(5, checkpoint.signature());
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /** The lowest chained sequence number still in the log (higher than 1 after pruning), if any. */
    public Optional<Long> firstSeq() {
        try (Connection connection = dataSource.getConnection();
             ResultSet rows = connection.createStatement().executeQuery("select min(seq) from audit_event")) {
            rows.next();
            long value = rows.getLong(1);
            return rows.wasNull() ? Optional.empty() : Optional.of(value);
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /** The stored hash at one sequence number. */
    public Optional<byte[]> hashAt(long seq) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement("select hash from audit_event where seq = ?")) {
            statement.setLong(1, seq);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /** Verifies events from {@code fromSeq} on (all when empty) against the anchor and the checkpoints. */
    public ChainVerifier.Result verify(long anchorSeq, byte[] anchorHash, Optional<Long> toSeq, List<Checkpoint> checkpoints,
                                       byte[] publicKey) {
        return verify(anchorSeq, anchorHash, toSeq, checkpoints, publicKey, ChainVerifier.Scope.WHOLE_LOG);
    }

    /** As above, for a whole log or an excerpt of it. */
    public ChainVerifier.Result verify(long anchorSeq, byte[] anchorHash, Optional<Long> toSeq, List<Checkpoint> checkpoints,
                                       byte[] publicKey, ChainVerifier.Scope scope) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (PreparedStatement statement = connection.prepareStatement("select " + COLUMNS
                    + " from audit_event where seq > ?" + (toSeq.isPresent() ? " and seq <= ?" : "") + " order by seq")) {
                statement.setFetchSize(5000);
                statement.setLong(1, anchorSeq);
                if (toSeq.isPresent()) {
                    statement.setLong(2, toSeq.get());
                }
                try (ResultSet rows = statement.executeQuery()) {
                    return new ChainVerifier().verify(() -> iterate(rows), anchorHash, anchorSeq, checkpoints, publicKey, scope);
                }
            } finally {
                connection.rollback();
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
    }

    /**
     * Who held leases on a path (or one lease) during [from, to), from the lease records, and who read the
     * path (or one version of it) in that window, from the log itself.
     */
    public List<Holding> holders(String backend, String path, Optional<String> version, Optional<String> leaseHmac,
                                 java.time.Instant from, java.time.Instant to) {
        List<Holding> holdings = new ArrayList<>();
        String leases = "select owner, fingerprint, issued_at, least(expires_at, coalesce(revoked_at, expires_at)) as ended_at "
                + "from lease where backend = ? and path = ? and issued_at < ? "
                + "and least(expires_at, coalesce(revoked_at, expires_at)) > ?" + (leaseHmac.isPresent() ? " and fingerprint = ?" : "")
                + " order by issued_at";
        String reads = "select subject, version, min(occurred_at) as first_at, max(occurred_at) as last_at from audit_event "
                + "where backend = ? and path = ? and operation = 'read' and outcome = 'success' and occurred_at >= ? and occurred_at < ?"
                + (version.isPresent() ? " and version = ?" : "") + " group by subject, version order by subject, version";
        try (Connection connection = dataSource.getConnection()) {
            if (version.isEmpty()) {
                try (PreparedStatement statement = connection.prepareStatement(leases)) {
                    statement.setString(1, backend);
                    statement.setString(2, path);
                    statement.setObject(3, to.atOffset(java.time.ZoneOffset.UTC));
                    statement.setObject(4, from.atOffset(java.time.ZoneOffset.UTC));
                    if (leaseHmac.isPresent()) {
                        statement.setString(5, leaseHmac.get());
                    }
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            holdings.add(new Holding(rows.getString(1), "lease", rows.getString(2), null,
                                    instant(rows, 3), instant(rows, 4)));
                        }
                    }
                }
            }
            if (leaseHmac.isEmpty()) {
                try (PreparedStatement statement = connection.prepareStatement(reads)) {
                    statement.setString(1, backend);
                    statement.setString(2, path);
                    statement.setObject(3, from.atOffset(java.time.ZoneOffset.UTC));
                    statement.setObject(4, to.atOffset(java.time.ZoneOffset.UTC));
                    if (version.isPresent()) {
                        statement.setString(5, version.get());
                    }
                    try (ResultSet rows = statement.executeQuery()) {
                        while (rows.next()) {
                            holdings.add(new Holding(rows.getString(1), "read", null, rows.getString(2),
                                    instant(rows, 3), instant(rows, 4)));
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new AuditUnavailableException(e);
        }
        return holdings;
    }

    /**
     * One identity's hold on a secret: a lease ({@code leaseHmac}, from issue to expiry or revocation) or reads
     * of a static value ({@code version}, first to last read in the window).
     */
    public record Holding(String subject, String kind, String leaseHmac, String version, java.time.Instant from,
                          java.time.Instant until) {}

    private static Iterator<ChainedEvent> iterate(ResultSet rows) {
        return new Iterator<>() {
            private Boolean hasNext;

            @Override
            public boolean hasNext() {
                if (hasNext == null) {
                    try {
                        hasNext = rows.next();
                    } catch (SQLException e) {
                        throw new AuditUnavailableException(e);
                    }
                }
                return hasNext;
            }

            @Override
            public ChainedEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                hasNext = null;
                try {
                    return read(rows);
                } catch (SQLException e) {
                    throw new AuditUnavailableException(e);
                }
            }
        };
    }

    private static ChainedEvent read(ResultSet rows) throws SQLException {
        return new ChainedEvent(rows.getLong("seq"), rows.getObject("occurred_at", java.time.OffsetDateTime.class).toInstant(), rows.getString("request_id"),
                rows.getString("subject"), rows.getString("operation"), rows.getString("backend"), rows.getString("path"),
                rows.getString("version"), rows.getString("lease_hmac"), rows.getString("outcome"), rows.getInt("status"),
                rows.getString("error_code"), rows.getString("client_address"), rows.getBytes("hash"));
    }

    private static java.time.Instant instant(ResultSet rows, int column) throws SQLException {
        return rows.getObject(column, java.time.OffsetDateTime.class).toInstant();
    }

    private static void add(StringBuilder sql, List<Object> params, String clause, Object value) {
        sql.append(clause);
        params.add(value);
    }

    private static String likeEscape(String literal) {
        return literal.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
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
