package dev.lanyard.database;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.Config;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;

/**
 * Refuses to start the service, before anything else touches the database, on a schema that is not fully migrated, or
 * when it is connected with more than the app role's rights. The service never migrates: it runs as the app role, which
 * cannot change the schema. Connected as a superuser or as the role that owns the audit log (or a member of it), one
 * statement could switch off every guard the database keeps over the log — the schema owner can disable its triggers —
 * so the service does not start at all. The check connects over JDBC to the reactive datasource's host and database,
 * as its user, with the same TLS ({@link PostgresTls}): there is no second URL to keep in step.
 */
@ApplicationScoped
class SchemaCheck {

    void checkBeforeAnythingElse(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent ignored,
                                 PostgresTls tls, Config config) {
        DataSource database = tls.serviceJdbc(config, "lanyard-schema-check");
        MigrationInfo[] pending;
        try {
            pending = SchemaMigration.flyway(database, SchemaMigration.appRole(config)).info().pending();
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
        try (Connection connection = database.getConnection()) {
            requireAppRole(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("the schema check could not read the connected role's rights over "
                    + tls.describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * @throws IllegalStateException when {@code connection}'s user is a superuser, or owns {@code audit_event}, or may act
     *                               as the role that does
     */
    static void requireAppRole(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("select current_user as who, r.rolsuper as superuser,"
                     + " pg_get_userbyid(c.relowner) as owner, pg_has_role(current_user, c.relowner, 'MEMBER') as owns"
                     + " from pg_roles r, pg_class c where r.rolname = current_user and c.oid = 'audit_event'::regclass")) {
            rows.next();
            String who = rows.getString("who");
            if (rows.getBoolean("superuser")) {
                throw new IllegalStateException(refusal(who, "is a PostgreSQL superuser"));
            }
            if (rows.getBoolean("owns")) {
                String owner = rows.getString("owner");
                throw new IllegalStateException(refusal(who, who.equals(owner) ? "owns audit_event (it is the schema owner)"
                        : "is a member of " + owner + ", which owns audit_event"));
            }
        }
    }

    private static String refusal(String who, String why) {
        return "Lanyard is connected to PostgreSQL as '" + who + "', which " + why + ": a serving process with those"
                + " rights could switch off the audit log's guards (its triggers) with one statement. Connect as the app"
                + " role (quarkus.datasource.username, the role named by lanyard.database.app-role); the owner's credentials"
                + " belong to the owner's jobs only (migrate, audit-prune, audit-quarantine)";
    }
}
