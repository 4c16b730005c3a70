package dev.lanyard.database;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Refuses to start the service on a schema that is not fully migrated, before anything else touches the database.
 * The service never migrates: it runs as the app role, which cannot change the schema. The check connects over JDBC
 * to the reactive datasource's host and database, as its user, with the same TLS ({@link PostgresTls}): there is no
 * second URL to keep in step.
 */
@ApplicationScoped
class SchemaCheck {

    void checkBeforeAnythingElse(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent ignored,
                                 PostgresTls tls, Config config) {
        MigrationInfo[] pending;
        try {
            pending = SchemaMigration.flyway(tls.serviceJdbc(config, "lanyard-schema-check"), SchemaMigration.appRole(config))
                    .info().pending();
        } catch (FlywayException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("the schema check could not read Lanyard's database over " + tls.describe()
                    + ": " + cause.getMessage(), e);
        }
        if (pending.length > 0) {
            throw new IllegalStateException("the database schema is not migrated: "
                    + Arrays.stream(pending).map(m -> "V" + m.getVersion()).collect(Collectors.joining(", "))
                    + " pending. Run `java -jar quarkus-run.jar migrate` with the schema owner's credentials"
                    + " (lanyard.owner.*) first");
        }
    }
}
