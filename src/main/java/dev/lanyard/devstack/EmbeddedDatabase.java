package dev.lanyard.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;

/**
 * A real PostgreSQL (zonky's embedded binaries) on a free loopback port, for the default run and the tests.
 *
 * <p>It is set up the way production should be: a {@code lanyard} database owned by {@code lanyard_owner}
 * (migrations) and used by {@code lanyard_app} (the service), both with passwords checked by SCRAM. Only the
 * superuser is trusted, and only from loopback, so Vault's database engine and test set-up can manage roles.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String DATABASE = "lanyard";
    public static final String OWNER = "lanyard_owner";
    public static final String APP = "lanyard_app";

    private final EmbeddedPostgres postgres;
    private final String ownerPassword;
    private final String appPassword;

    private EmbeddedDatabase(EmbeddedPostgres postgres, String ownerPassword, String appPassword) {
        this.postgres = postgres;
        this.ownerPassword = ownerPassword;
        this.appPassword = appPassword;
    }

    public static EmbeddedDatabase start(Path dataDirectory) {
        try {
            Files.createDirectories(dataDirectory.getParent());
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setPort(FreePort.pick())
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(true)
                    // Whoever started it stops it (DevStack, the tests): zonky's own hook would stop it while Lanyard
                    // is still writing its final audit checkpoint.
                    .setRegisterShutdownHook(false)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("synchronous_commit", "on")
                    .setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()))
                    .start();
            EmbeddedDatabase database = new EmbeddedDatabase(postgres, randomPassword(), randomPassword());
            database.createRolesAndDatabase();
            return database;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start", e);
        }
    }

    private static void writeHba(Path dataDirectory) {
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), """
                    host all postgres 127.0.0.1/32 trust
                    host all all 127.0.0.1/32 scram-sha-256
                    """);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void createRolesAndDatabase() {
        try (Connection c = superuser("postgres"); Statement s = c.createStatement()) {
            s.execute("create role " + OWNER + " login password '" + ownerPassword + "'");
            s.execute("create role " + APP + " login password '" + appPassword + "'");
            s.execute("create database " + DATABASE + " owner " + OWNER);
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL set-up failed", e);
        }
        try (Connection c = superuser(DATABASE); Statement s = c.createStatement()) {
            s.execute("revoke create on schema public from public");
            s.execute("alter schema public owner to " + OWNER);
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL set-up failed", e);
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    public int port() {
        return postgres.getPort();
    }

    /** A JDBC connection as the superuser, for set-up and for tests that inspect or break the database. */
    public Connection superuser(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/" + database, "postgres", "");
    }

    /** Configuration that points Lanyard at this database. */
    public Map<String, String> lanyardConfig() {
        return Map.of(
                "quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + port() + "/" + DATABASE,
                "quarkus.datasource.username", APP,
                "quarkus.datasource.password", appPassword,
                "quarkus.datasource.jdbc.url", "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE,
                "quarkus.flyway.username", OWNER,
                "quarkus.flyway.password", ownerPassword,
                "lanyard.database.app-role", APP);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
