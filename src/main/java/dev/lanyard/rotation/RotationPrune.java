package dev.lanyard.rotation;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Rotation history retention, the owner's half: deletes rotation runs that finished (succeeded or failed) before a
 * cut-off, with their step records, but never a schedule's last run, so every schedule still shows how its last run
 * went. Runs that are running or stuck stay whatever their age. Run by the schema owner's {@code retention} job
 * ({@code dev.lanyard.Retention}), never by the service, whose role may not delete runs or steps; the audit log keeps
 * every run's record.
 *
 * <p>In batches, each its own transaction, found through the index on {@code finished_at} (migration V12).
 */
public final class RotationPrune {

    static final int BATCH = 10_000;
    private static final String FINISHED = "('succeeded', 'failed')";

    private RotationPrune() {}

    /** What went. */
    public record Pruned(long runs, long steps) {}

    public static Pruned prune(Connection owner, Instant finishedBefore) throws SQLException {
        boolean autoCommit = owner.getAutoCommit();
        owner.setAutoCommit(false);
        long runs = 0;
        long steps = 0;
        try (PreparedStatement find = owner.prepareStatement("select r.id from rotation_run r where r.state in " + FINISHED
                     + " and r.finished_at < ? and not exists (select 1 from rotation_schedule s where s.last_run_id = r.id)"
                     + " limit " + BATCH);
             PreparedStatement deleteSteps = owner.prepareStatement("delete from rotation_step where run_id = any(?)");
             PreparedStatement deleteRuns = owner.prepareStatement("delete from rotation_run where id = any(?) and state in "
                     + FINISHED)) {
            find.setTimestamp(1, Timestamp.from(finishedBefore));
            List<String> batch;
            do {
                batch = new ArrayList<>();
                try (ResultSet rows = find.executeQuery()) {
                    while (rows.next()) {
                        batch.add(rows.getString(1));
                    }
                }
                Array ids = owner.createArrayOf("text", batch.toArray());
                deleteSteps.setArray(1, ids);
                steps += deleteSteps.executeUpdate();
                deleteRuns.setArray(1, ids);
                runs += deleteRuns.executeUpdate();
                owner.commit();
            } while (batch.size() == BATCH);
        } catch (SQLException | RuntimeException e) {
            owner.rollback();
            throw e;
        } finally {
            owner.setAutoCommit(autoCommit);
        }
        return new Pruned(runs, steps);
    }
}
