package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.OfflineVerifier;
import dev.lanyard.audit.chain.Seal;
import dev.lanyard.database.PostgresTls;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import org.eclipse.microprofile.config.Config;

/**
 * The way out of a log Lanyard refuses to append to because rows no writer sealed sit at its head (someone with the
 * database password inserted them): {@code java -jar quarkus-run.jar audit-quarantine [--dry-run] <seq>
 * <public-key-file> <reason>}, run with the schema owner's connection ({@code lanyard.owner.*}, over the one TLS setting of
 * {@link PostgresTls}), never by the service.
 *
 * <p>It finds, from the head down, the newest row a Lanyard writer provably made — a valid seal over its hash under the
 * public key, or a row of the old unsealed format, which the database accepts only below sealed rows — and requires
 * {@code seq} (the one the alert and readiness named) to lie above it: so it never takes out a row Lanyard wrote. It
 * refuses when a checkpoint the key signed covers any row it would move. Then the database's {@code audit_quarantine}
 * moves the rows above it, and checkpoint rows above it, out of the chain into {@code audit_quarantined_row}, whole.
 * Lanyard chains on from its own last row and records the quarantine in the log (operation {@code audit.quarantine}).
 */
public final class AuditQuarantine {

    /** How far below the head it looks for a sealed row: beyond that this is not a foreign row at the head. */
    static final int MOST_ROWS = 10_000;

    private AuditQuarantine() {}

    /** What was (or, in a dry run, would be) moved out of the chain. */
    public record Quarantined(long id, long firstSeq, long lastSeq, long keptUpTo) {
        public long rows() {
            return lastSeq - firstSeq + 1;
        }
    }

    public static Quarantined run(Config config, long seq, Path publicKeyFile, String reason, boolean dryRun)
            throws IOException, SQLException {
        try (Connection owner = PostgresTls.from(config).ownerJdbc(config, "lanyard-audit-quarantine").getConnection()) {
            return quarantine(owner, seq, OfflineVerifier.readPublicKey(publicKeyFile), reason, dryRun);
        }
    }

    public static Quarantined quarantine(Connection owner, long seq, byte[] publicKey, String reason, boolean dryRun)
            throws SQLException {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("say why (a ticket, an incident): the reason is kept with the rows");
        }
        long head = head(owner);
        if (seq < 1 || seq > head) {
            throw new IllegalArgumentException("seq " + seq + " is not in the log (its head is " + head + ")");
        }
        long kept = newestLanyardRow(owner, head, publicKey);
        if (seq <= kept) {
            throw new IllegalArgumentException("seq " + seq + " is at or below seq " + kept
                    + ", the newest row a Lanyard writer sealed: it is Lanyard's, not foreign; nothing was moved");
        }
        if (kept == head) {
            throw new IllegalArgumentException("the head (seq " + head + ") is sealed by a Lanyard writer: nothing to quarantine");
        }
        try (PreparedStatement statement = owner.prepareStatement(
                "select seq, hash, signed_at, key_id, signature from audit_checkpoint where seq > ? order by seq")) {
            statement.setLong(1, kept);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    Checkpoint checkpoint = new Checkpoint(rows.getLong(1), rows.getBytes(2),
                            rows.getObject(3, OffsetDateTime.class).toInstant(), rows.getString(4), rows.getBytes(5));
                    if (CheckpointSigner.verify(checkpoint, publicKey)) {
                        throw new IllegalArgumentException("a checkpoint signed by this key covers seq " + checkpoint.seq()
                                + ": Lanyard vouched for those rows; restore the database instead (docs/runbooks/restore-postgresql.md)");
                    }
                }
            }
        }
        if (dryRun) {
            return new Quarantined(0, kept + 1, head, kept);
        }
        try (PreparedStatement statement = owner.prepareStatement("select audit_quarantine(?, ?)")) {
            statement.setLong(1, kept + 1);
            statement.setString(2, reason);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return new Quarantined(rows.getLong(1), kept + 1, head, kept);
            }
        }
    }

    private static long head(Connection owner) throws SQLException {
        try (ResultSet rows = owner.createStatement().executeQuery("select max(seq) from audit_event")) {
            rows.next();
            long head = rows.getLong(1);
            if (rows.wasNull()) {
                throw new IllegalArgumentException("the audit log is empty: nothing to quarantine");
            }
            return head;
        }
    }

    /** Walks down from the head to the newest row a Lanyard writer made: sealed validly, or of the old format. */
    private static long newestLanyardRow(Connection owner, long head, byte[] publicKey) throws SQLException {
        try (PreparedStatement statement = owner.prepareStatement("select seq, format, hash, seal_first, seal_key_id, "
                + "seal_signature from audit_event where seq <= ? order by seq desc limit ?")) {
            statement.setLong(1, head);
            statement.setInt(2, MOST_ROWS);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    long seq = rows.getLong(1);
                    if (rows.getInt(2) == CanonicalForm.LEGACY_FORMAT) {
                        return seq;
                    }
                    long first = rows.getLong(4);
                    boolean sealed = !rows.wasNull();
                    byte[] hash = rows.getBytes(3);
                    if (sealed && hash != null && hash.length == 32
                            && CheckpointSigner.verify(new Seal(first, rows.getString(5), rows.getBytes(6)), seq, hash, publicKey)) {
                        return seq;
                    }
                }
            }
        }
        throw new IllegalArgumentException("no row sealed by this key in the " + MOST_ROWS + " rows below the head: this is"
                + " not a foreign row at the head (wrong public key, or the log was rewritten); restore the database instead"
                + " (docs/runbooks/restore-postgresql.md)");
    }
}
