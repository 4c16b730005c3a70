package dev.lanyard.database;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Refuses to start the service on a schema that is not fully migrated, before anything else touches the database.
 * The service never migrates: it runs as the app role, which cannot change the schema.
 */
@ApplicationScoped
class SchemaCheck {

    void checkBeforeAnythingElse(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent ignored, Flyway flyway) {
        MigrationInfo[] pending = flyway.info().pending();
        if (pending.length > 0) {
            throw new IllegalStateException("the database schema is not migrated: "
                    + Arrays.stream(pending).map(m -> "V" + m.getVersion()).collect(Collectors.joining(", "))
                    + " pending. Run `java -jar quarkus-run.jar migrate` with the schema owner's credentials"
                    + " (lanyard.owner.*) first");
        }
    }
}
