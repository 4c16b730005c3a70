package dev.lanyard.database;

import dev.lanyard.support.SecretReference;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Migrates Lanyard's schema as its owner: {@code java -jar quarkus-run.jar migrate}. A separate step (a Kubernetes
 * Job or init container, or the dev launcher) so that the serving process never holds the owner's credentials; the
 * service itself only checks at start-up that the schema is current.
 *
 * <p>Reads {@code lanyard.owner.jdbc-url}, {@code lanyard.owner.username}, {@code lanyard.owner.password}
 * (a {@code file:}/{@code env:} reference) and {@code lanyard.database.app-role}, the role the service connects as,
 * which the migrations grant its privileges to.
 */
public final class SchemaMigration {

    private SchemaMigration() {}

    public static MigrateResult migrate(Config config) {
        return migrate(config.getValue("lanyard.owner.jdbc-url", String.class),
                config.getValue("lanyard.owner.username", String.class),
                SecretReference.parse(config.getValue("lanyard.owner.password", String.class)).resolve(),
                config.getOptionalValue("lanyard.database.app-role", String.class).orElse("lanyard_app"));
    }

    public static MigrateResult migrate(String jdbcUrl, String owner, String password, String appRole) {
        return Flyway.configure()
                .dataSource(jdbcUrl, owner, password)
                .locations("classpath:db/migration")
                .placeholders(Map.of("app_role", appRole))
                .load()
                .migrate();
    }
}
