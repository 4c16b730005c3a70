package dev.lanyard;

import dev.lanyard.audit.store.AuditPrune;
import dev.lanyard.audit.store.AuditQuarantine;
import dev.lanyard.database.SchemaMigration;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Set;
import org.eclipse.microprofile.config.ConfigProvider;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Entry point: {@code java -jar quarkus-run.jar} serves; {@code migrate}, {@code retention}, {@code audit-prune} and
 * {@code audit-quarantine} are the schema owner's jobs, run as separate steps so that the serving process never holds the owner's credentials. The jar holds nothing
 * else: the one-command demo (embedded PostgreSQL, OpenBao, a demo token) is a launcher outside it
 * ({@code scripts/run.sh}), so no setting can switch it on in production.
 */
@QuarkusMain
public final class LanyardMain {

    /** Jobs run with the schema owner's credentials as a separate step, never inside the serving process. */
    private static final Set<String> OWNER_JOBS = Set.of("migrate", "retention", "audit-prune", "audit-quarantine");
    private static final String QUARANTINE_USAGE =
            "usage: audit-quarantine [--dry-run] <seq named by the alert> <public-key-file> <reason>";

    LanyardMain() {}

    public static void main(String... args) {
        if (args.length > 0 && OWNER_JOBS.contains(args[0])) {
            System.exit(ownerJob(args));
        }
        Quarkus.run(args);
    }

    private static int ownerJob(String... args) {
        try {
            if (args[0].equals("migrate")) {
                MigrateResult result = SchemaMigration.migrate(ConfigProvider.getConfig());
                System.out.println("schema migrated to version " + result.targetSchemaVersion + " ("
                        + result.migrationsExecuted + " migrations applied)");
                return 0;
            }
            if (args[0].equals("retention")) {
                Retention.Pruned pruned = Retention.run(ConfigProvider.getConfig(), Instant.now());
                System.out.println("removed " + pruned.leases() + " leases dead since before " + pruned.leasesDeadBefore()
                        + ", and " + pruned.runs() + " rotation runs (" + pruned.steps() + " step records) finished before "
                        + pruned.runsFinishedBefore() + "; each schedule keeps its last run");
                return 0;
            }
            if (args[0].equals("audit-quarantine")) {
                return quarantine(Arrays.copyOfRange(args, 1, args.length));
            }
            if (args.length != 3) {
                System.err.println("usage: audit-prune <archived-segment.jsonl> <public-key-file>");
                return 2;
            }
            AuditPrune.Pruned pruned = AuditPrune.run(ConfigProvider.getConfig(), Path.of(args[1]), Path.of(args[2]));
            System.out.println("pruned " + pruned.removed() + " events up to seq " + pruned.upToSeq()
                    + "; the log now starts after the checkpoint that sealed them");
            return 0;
        } catch (IllegalArgumentException | IllegalStateException | IOException | SQLException | FlywayException e) {
            System.err.println(args[0] + " failed: " + e.getMessage());
            return 1;
        }
    }

    private static int quarantine(String... args) throws IOException, SQLException {
        boolean dryRun = args.length > 0 && args[0].equals("--dry-run");
        String[] rest = dryRun ? Arrays.copyOfRange(args, 1, args.length) : args;
        long seq;
        try {
            seq = rest.length == 3 ? Long.parseLong(rest[0]) : -1;
        } catch (NumberFormatException e) {
            seq = -1;
        }
        if (seq < 1) {
            System.err.println(QUARANTINE_USAGE);
            return 2;
        }
        AuditQuarantine.Quarantined done = AuditQuarantine.run(ConfigProvider.getConfig(), seq, Path.of(rest[1]), rest[2], dryRun);
        String range = done.firstSeq() == done.lastSeq() ? "seq " + done.firstSeq()
                : "seq " + done.firstSeq() + " to " + done.lastSeq();
        if (dryRun) {
            System.out.println("would quarantine " + range + " (" + done.rows() + " rows no Lanyard writer sealed);"
                    + " the chain would continue after seq " + done.keptUpTo());
        } else {
            System.out.println("quarantined " + range + " (" + done.rows() + " rows) as quarantine " + done.id()
                    + ": kept in audit_quarantined_row; the chain continues after seq " + done.keptUpTo()
                    + ", and Lanyard records the quarantine in the log (operation audit.quarantine)");
        }
        return 0;
    }
}
