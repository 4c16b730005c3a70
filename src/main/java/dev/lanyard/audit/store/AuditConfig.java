package dev.lanyard.audit.store;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The audit log: how it is written, signed and published. See docs/audit-chain.md. */
@ConfigMapping(prefix = "lanyard.audit")
public interface AuditConfig {
    /**
     * Reference ({@code file:} or {@code env:}) to the base64 key, at least 32 bytes, for lease id fingerprints.
     * Keep it stable: changing it breaks correlation of a lease's events across the change.
     */
    String leaseHmacKey();

    /**
     * {@code group-commit}: one writer commits every event queued while the previous commit was in flight.
     * {@code per-request}: each event in its own transaction (the benchmark baseline).
     */
    @WithDefault("group-commit")
    Mode mode();

    /** Most events one group commit writes; more wait for the next commit. */
    @WithDefault("2000")
    int maxBatch();

    /**
     * Most events waiting for a commit. Beyond it, an append fails at once (503 {@code AUDIT_UNAVAILABLE}) instead of
     * queueing behind a database that is not keeping up.
     */
    @WithDefault("20000")
    int maxQueue();

    /**
     * How long an access waits for its event to be taken into a commit; then it is answered 503
     * {@code AUDIT_UNAVAILABLE} and the event is never written. An event already in a commit waits for that
     * commit, which {@link #commitTimeout()} bounds: an access waits at most the sum of the two.
     */
    @WithDefault("5s")
    Duration appendTimeout();

    /**
     * Longest one commit may take, from asking the pool for a connection to PostgreSQL's answer to COMMIT, the chain
     * lock included. Past it the commit is abandoned: its connection is closed (never reused), every event in it is
     * answered 503 {@code AUDIT_UNAVAILABLE}, and the next commit re-reads the head. If its COMMIT had already reached
     * the server the batch may still have landed (the writer logs whether it did). Also the server-side
     * {@code idle_in_transaction_session_timeout} of audit transactions, so a transaction whose client vanished releases
     * the chain lock for the other replicas within it.
     */
    @WithDefault("5s")
    Duration commitTimeout();

    /** Longest wait for the chain lock (held by another replica's commit) or a table lock in an audit transaction. */
    @WithDefault("2s")
    Duration lockTimeout();

    /** Longest any statement of an audit transaction may run. */
    @WithDefault("5s")
    Duration statementTimeout();

    /** Reference ({@code file:} or {@code env:}) to the base64 32-byte Ed25519 seed that signs checkpoints. */
    String signingKey();

    /** How often the chain head is signed (also on shutdown). */
    @WithDefault("1m")
    Duration checkpointInterval();

    /**
     * File outside the database to which every checkpoint is appended as a JSON line. Keep it on storage the
     * database's administrators cannot rewrite: it is what exposes a replaced or rolled-back database.
     */
    Optional<Path> checkpointFile();

    /** Directory where archived (exported, then pruned) segments are written. */
    Optional<Path> archiveDirectory();

    enum Mode {
        GROUP_COMMIT, PER_REQUEST
    }
}
