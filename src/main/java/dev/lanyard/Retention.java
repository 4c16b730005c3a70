package dev.lanyard;

import dev.lanyard.broker.LeasePrune;
import dev.lanyard.database.PostgresTls;
import dev.lanyard.rotation.RotationPrune;
import io.quarkus.runtime.configuration.DurationConverter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.Config;

/**
 * Retention of the tables that would otherwise only grow: {@code java -jar quarkus-run.jar retention}, run as the
 * schema owner ({@code lanyard.owner.*}, with the TLS every connection to Lanyard's database has: {@link PostgresTls})
 * on a schedule of its own (the CronJob {@code lanyard-retention}), never by the
 * service, whose role may not delete these rows. It deletes leases dead (expired or revoked) for longer than
 * {@code lanyard.retention.lease-age} ({@value #LEASE_AGE}), and rotation runs, with their step records, finished
 * longer than {@code lanyard.retention.rotation-run-age} ({@value #RUN_AGE}) ago, except each schedule's last run.
 * The audit log keeps the history of both; its own retention is {@code audit-prune}.
 *
 * <p>Beside {@link LanyardMain}, above the packages whose tables it prunes ({@code broker}, {@code rotation}): those
 * depend on {@code database}, so the job that drives both cannot live there.
 */
public final class Retention {

    static final String LEASE_AGE = "7d";
    static final String RUN_AGE = "90d";
    /** Below this, a job whose clock runs ahead could take a lease the service still counts as live. */
    private static final Duration SHORTEST = Duration.ofHours(1);

    private Retention() {}

    /** What went, and the cut-offs. */
    public record Pruned(Instant leasesDeadBefore, long leases, Instant runsFinishedBefore, long runs, long steps) {}

    public static Pruned run(Config config, Instant now) throws SQLException {
        Duration leaseAge = age("lanyard.retention.lease-age",
                config.getOptionalValue("lanyard.retention.lease-age", String.class).orElse(LEASE_AGE));
        Duration runAge = age("lanyard.retention.rotation-run-age",
                config.getOptionalValue("lanyard.retention.rotation-run-age", String.class).orElse(RUN_AGE));
        try (Connection owner = PostgresTls.from(config).ownerJdbc(config, "lanyard-retention").getConnection()) {
            return prune(owner, now.minus(leaseAge), now.minus(runAge));
        }
    }

    public static Pruned prune(Connection owner, Instant leasesDeadBefore, Instant runsFinishedBefore) throws SQLException {
        long leases = LeasePrune.prune(owner, leasesDeadBefore);
        RotationPrune.Pruned runs = RotationPrune.prune(owner, runsFinishedBefore);
        return new Pruned(leasesDeadBefore, leases, runsFinishedBefore, runs.runs(), runs.steps());
    }

    private static Duration age(String key, String value) {
        Duration age = DurationConverter.parseDuration(value);
        if (age == null || age.compareTo(SHORTEST) < 0) {
            throw new IllegalArgumentException(key + " must be at least " + SHORTEST.toHours() + "h");
        }
        return age;
    }
}
