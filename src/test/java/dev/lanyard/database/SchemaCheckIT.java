package dev.lanyard.database;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.devstack.EmbeddedDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service starts only with the app role's rights, against a real PostgreSQL set up as production should be: as the
 * schema owner, a member of it, or a superuser, its start-up check refuses, naming the role and why.
 */
class SchemaCheckIT {

    @TempDir
    static Path work;

    private static EmbeddedDatabase database;

    @BeforeAll
    static void migratedDatabase() {
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        database.migrate();
    }

    @AfterAll
    static void stop() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void theAppRoleMayServe() throws SQLException {
        try (Connection app = database.app()) {
            assertThatCode(() -> SchemaCheck.requireAppRole(app)).doesNotThrowAnyException();
        }
    }

    @Test
    void theSchemaOwnerMayNot() throws SQLException {
        try (Connection owner = database.owner()) {
            assertThatThrownBy(() -> SchemaCheck.requireAppRole(owner)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("'lanyard_owner'").hasMessageContaining("owns audit_event");
        }
    }

    @Test
    void aSuperuserMayNot() throws SQLException {
        try (Connection superuser = database.superuser(EmbeddedDatabase.DATABASE)) {
            assertThatThrownBy(() -> SchemaCheck.requireAppRole(superuser)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("superuser");
        }
    }

    @Test
    void norARoleThatCanActAsTheOwner() throws SQLException {
        try (Connection superuser = database.superuser(EmbeddedDatabase.DATABASE); Statement s = superuser.createStatement()) {
            s.execute("create role lanyard_ops login password 'ops-password' in role " + EmbeddedDatabase.OWNER);
        }
        try (Connection ops = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + database.port() + "/"
                + EmbeddedDatabase.DATABASE, "lanyard_ops", "ops-password")) {
            assertThatThrownBy(() -> SchemaCheck.requireAppRole(ops)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("member of lanyard_owner");
        }
    }
}
