package dev.lanyard;

import dev.lanyard.audit.AuditPrune;
import dev.lanyard.database.SchemaMigration;
import dev.lanyard.devstack.DevStack;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import org.eclipse.microprofile.config.ConfigProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Set;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Entry point. With {@code LANYARD_DEV_STACK=true} (what {@code scripts/run.sh} sets) it first starts the
 * embedded defaults, so Lanyard runs with nothing else installed; otherwise it starts on its configuration alone.
 */
@QuarkusMain
public final class LanyardMain {

    LanyardMain() {}

    public static void main(String... args) {
        if (args.length > 0 && OWNER_JOBS.contains(args[0])) {
            System.exit(ownerJob(args));
        }
        if (Boolean.parseBoolean(System.getenv("LANYARD_DEV_STACK"))) {
            DevStack stack = DevStack.start(Path.of(".cache", "dev"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // Let Lanyard finish its own shutdown (the final audit checkpoint needs the database) first.
                awaitQuarkusShutdown();
                stack.close();
            }, "dev-stack-stop"));
            stack.configuration().forEach(System::setProperty);
            System.out.println(stack.greeting());
        }
        Quarkus.run(args);
    }

    /** Jobs run with the schema owner's credentials as a separate step, never inside the serving process. */
    private static final Set<String> OWNER_JOBS = Set.of("migrate", "audit-prune");

    private static int ownerJob(String... args) {
        try {
            if (args[0].equals("migrate")) {
                MigrateResult result = SchemaMigration.migrate(ConfigProvider.getConfig());
                System.out.println("schema migrated to version " + result.targetSchemaVersion + " ("
                        + result.migrationsExecuted + " migrations applied)");
                return 0;
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

    private static void awaitQuarkusShutdown() {
        io.quarkus.runtime.Application application = io.quarkus.runtime.Application.currentApplication();
        if (application == null) {
            return;
        }
        Thread waiter = new Thread(application::awaitShutdown, "await-quarkus-shutdown");
        waiter.setDaemon(true);
        waiter.start();
        try {
            waiter.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
