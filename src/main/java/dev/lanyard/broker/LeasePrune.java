package dev.lanyard.broker;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * Lease retention, the owner's half: deletes the rows of leases that have been dead — expired, or revoked — since
 * before a cut-off. Run by the schema owner's {@code retention} job ({@code dev.lanyard.Retention}), never by the
 * service, whose role may not delete from {@code lease}. A dead lease is read by nothing: renewing or revoking it
 * answers "unknown lease" whether its row is there or not, the cap counts only live ones, and the audit log keeps its
 * history.
 *
 * <p>A revoked lease counts as dead from its revocation (a lease is revoked while it is live). In batches, each its own
 * transaction, found through the indexes {@code lease_live_by_expiry} and {@code lease_revoked_at} (migration V12): the
 * service's statements never wait long on the job, and a job cut off keeps what it did.
 */
public final class LeasePrune {

    static final int BATCH = 10_000;

    private LeasePrune() {}

    /** @return how many lease rows went */
    public static long prune(Connection owner, Instant deadBefore) throws SQLException {
        Timestamp before = Timestamp.from(deadBefore);
        return inBatches(owner, "delete from lease where fingerprint = any(array("
                + "select fingerprint from lease where revoked_at is null and expires_at < ? limit " + BATCH + "))", before)
                + inBatches(owner, "delete from lease where fingerprint = any(array("
                + "select fingerprint from lease where revoked_at < ? limit " + BATCH + "))", before);
    }

    private static long inBatches(Connection owner, String sql, Timestamp before) throws SQLException {
        long removed = 0;
        try (PreparedStatement delete = owner.prepareStatement(sql)) {
            delete.setTimestamp(1, before);
            int batch;
            do {
                batch = delete.executeUpdate();
                removed += batch;
            } while (batch == BATCH);
        }
        return removed;
    }
}
