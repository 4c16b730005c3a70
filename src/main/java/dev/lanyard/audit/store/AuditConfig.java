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
     * File outside the database to which every checkpoint is appended as a JSON line: for one process on one machine
     * (the dev stack, a test). Replicas on read-only filesystems cannot share one; a deployment publishes to
     * {@link #checkpointS3()}.
     */
    Optional<Path> checkpointFile();

    /**
     * The S3 bucket, with Object Lock, to which every checkpoint is published as an object of its own: what exposes a
     * database that was replaced, rolled back or rewritten by its administrators, who cannot delete or overwrite those
     * objects. Every replica writes its own objects, so replicas never share (or fragment) a file.
     */
    Optional<CheckpointS3> checkpointS3();

    /** Where checkpoints go in S3 (docs/audit-chain.md, "Checkpoints"). */
    interface CheckpointS3 {
        /** The bucket. It must have Object Lock enabled, and a default retention unless {@link #retention()} is set. */
        String bucket();

        /** Key prefix of the checkpoint objects; {@code lanyard/checkpoints/} when absent. */
        Optional<String> prefix();

        /** The bucket's region; the SDK's default region chain when absent. */
        Optional<String> region();

        /** Another S3 endpoint (an S3-compatible store, a test double); path-style addressing is used with it. */
        Optional<java.net.URI> endpointOverride();

        /**
         * Access key id and secret, as {@code file:}/{@code env:} references; when absent, the SDK's default credential
         * chain (web identity / IRSA on EKS).
         */
        Optional<String> accessKeyId();

        Optional<String> secretAccessKey();

        /**
         * How long each checkpoint object is locked in COMPLIANCE mode (nobody, the account root included, can delete
         * or overwrite it until then). When absent the bucket's default retention applies, and start-up requires one.
         */
        Optional<Duration> retention();

        /** This replica's name in object keys; the pod name ({@code HOSTNAME}) when absent. */
        Optional<String> replica();
    }

    /** Directory where archived (exported, then pruned) segments are written. */
    Optional<Path> archiveDirectory();

    enum Mode {
        GROUP_COMMIT, PER_REQUEST
    }
}
