package dev.lanyard.it;

import dev.lanyard.devstack.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A real PostgreSQL for the service under test: zonky's embedded binaries on a free loopback port, set up as production
 * should be (an owner that migrates, an app role the service runs as, passwords for everyone), migrated by its owner
 * before the service starts. Injects the {@link EmbeddedDatabase} and an {@link AuditRows} reader into
 * {@link InjectPeer} fields.
 */
public class PostgresResource implements QuarkusTestResourceLifecycleManager {

    private static volatile EmbeddedDatabase current;
    private EmbeddedDatabase database;

    /** The running database, for the other peers' set-up (OpenBao's database engine). */
    static EmbeddedDatabase current() {
        if (current == null) {
            throw new IllegalStateException("PostgresResource is not running");
        }
        return current;
    }

    @Override
    public Map<String, String> start() {
        Path work;
        try {
            work = Files.createTempDirectory("lanyard-it-postgres-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        // Migrations are a separate step run as the schema owner; the service under test holds only the app role.
        database.migrate();
        current = database;
        return database.lanyardConfig();
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(database, peer(EmbeddedDatabase.class));
        injector.injectIntoFields(new AuditRows(database), peer(AuditRows.class));
    }

    static Predicate<Field> peer(Class<?> type) {
        return field -> field.isAnnotationPresent(InjectPeer.class) && field.getType().equals(type);
    }

    @Override
    public void stop() {
        if (database != null) {
            database.close();
        }
        current = null;
    }
}
