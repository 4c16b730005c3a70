package dev.lanyard.database;

import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Migrates Lanyard's schema as its owner: {@code java -jar quarkus-run.jar migrate}. A separate step (a Kubernetes
 * Job or init container, or the dev launcher) so that the serving process never holds the owner's credentials; the
 * service itself only checks at start-up that the schema is current ({@link SchemaCheck}).
 *
 * <p>Reads {@code lanyard.owner.jdbc-url}, {@code lanyard.owner.username}, {@code lanyard.owner.password}
 * (a {@code file:}/{@code env:} reference), {@code lanyard.database.app-role}, the role the service connects as,
 * which the migrations grant its privileges to, and the service's TLS settings ({@link PostgresTls}).
 */
public final class SchemaMigration {

    static final String LOCATION = "classpath:db/migration";

    private SchemaMigration() {}

    public static MigrateResult migrate(Config config) {
        return migrate(PostgresTls.from(config).ownerJdbc(config, "lanyard-migrate"), appRole(config));
    }

    /** For the dev stack and the tests, on a loopback database without TLS. */
    public static MigrateResult migrate(String jdbcUrl, String owner, String password, String appRole) {
        return Flyway.configure().dataSource(jdbcUrl, owner, password).locations(LOCATION)
                .placeholders(Map.of("app_role", appRole)).load().migrate();
    }

    public static MigrateResult migrate(DataSource owner, String appRole) {
        return flyway(owner, appRole).migrate();
    }

    /** Lanyard's migrations over {@code database}, configured alike for migrating and for checking. */
    static Flyway flyway(DataSource database, String appRole) {
        return Flyway.configure().dataSource(database).locations(LOCATION).placeholders(Map.of("app_role", appRole)).load();
    }

    static String appRole(Config config) {
        return config.getOptionalValue("lanyard.database.app-role", String.class).orElse("lanyard_app");
    }
}
