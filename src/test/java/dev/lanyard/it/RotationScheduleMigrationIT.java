package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.database.SchemaMigration;
import dev.lanyard.devstack.EmbeddedDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrading a database that holds schedules stored before rotation targets (V10): they keep their parameters, which
 * become JSON objects SQL can look into, so the query docs/rotation.md gives operators lists the ones still naming a
 * {@code jdbc_url}; those that name a target have it on their row once they are next written.
 */
class RotationScheduleMigrationIT {

    private static final String JDBC_URL_PARAMETERS = "{\"jdbc_url\": \"jdbc:postgresql://db.internal:5432/payments\", "
            + "\"users\": [\"payments_a\", \"payments_b\"], \"admin_secret\": \"openbao/secret/db/admin\"}";

    @TempDir
    Path work;

    @Test
    void schedulesStoredWithAJdbcUrlAreListedByTheOperatorsQueryAndKeepTheirParameters() throws SQLException {
        try (EmbeddedDatabase database = EmbeddedDatabase.start(work.resolve("postgres"))) {
            String url = database.ownerConfig("unused").get("lanyard.owner.jdbc-url");
            Flyway.configure().dataSource(url, EmbeddedDatabase.OWNER, database.ownerPassword())
                    .locations("classpath:db/migration").placeholders(Map.of("app_role", EmbeddedDatabase.APP))
                    .target("9").load().migrate();
            try (Connection c = database.owner()) {
                // As the store wrote them until V10: the client encoded the object's text as a JSON string.
                execute(c, "insert into rotation_schedule (id, backend, path, strategy, parameters, expression, window_seconds, "
                        + "created_by, created_at, updated_at) values ('s-1', 'openbao', 'secret/db/payments', "
                        + "'postgres-alternating-users', to_jsonb(?::text), 'rate(30 days)', 3600, 'token:security', now(), now())");
                execute(c, "insert into rotation_run (id, schedule_id, backend, path, strategy, parameters, token, triggered_by, "
                        + "state, step, not_before, created_at) values ('r-1', 's-1', 'openbao', 'secret/db/payments', "
                        + "'postgres-alternating-users', to_jsonb(?::text), 't-1', 'schedule', 'failed', 'done', now(), now())");
            }

            SchemaMigration.migrate(url, EmbeddedDatabase.OWNER, database.ownerPassword(), EmbeddedDatabase.APP);

            try (Connection c = database.owner()) {
                assertThat(rows(c, "select id, target, parameters->>'users' as users from rotation_schedule "
                        + "where parameters ? 'jdbc_url'")).containsExactly("s-1 null [\"payments_a\", \"payments_b\"]");
                assertThat(rows(c, "select jsonb_typeof(parameters) || ' ' || (parameters->>'admin_secret') from rotation_run"))
                        .containsExactly("object openbao/secret/db/admin");
            }
        }
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, JDBC_URL_PARAMETERS);
            s.executeUpdate();
        }
    }

    private static List<String> rows(Connection c, String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        // A plain statement: the query is the one docs/rotation.md gives, whose '?' is jsonb's, not a parameter.
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> values = new ArrayList<>();
                for (int i = 1; i <= columns; i++) {
                    values.add(String.valueOf(rs.getString(i)));
                }
                rows.add(String.join(" ", values));
            }
        }
        return rows;
    }
}
