package dev.lanyard.rotation.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;

/**
 * A real PostgreSQL (zonky's embedded binaries) on a free loopback port, with password logins: every user but the
 * test's own superuser must give a SCRAM password, so a test that logs in proves the password. The superuser
 * {@code postgres} logs in without one, for setting up and inspecting.
 */
public final class PostgresServer implements AutoCloseable {
    public static final String HOST = "127.0.0.1";

    private final EmbeddedPostgres postgres;

    private PostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static PostgresServer start() {
        try {
            return new PostgresServer(EmbeddedPostgres.builder()
                    .setPort(FreePort.pick())
                    .setServerConfig("listen_addresses", HOST)
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("fsync", "off")
                    .setDataDirectoryCustomizer(directory -> {
                        try {
                            Files.writeString(directory.toPath().resolve("pg_hba.conf"), """
                                    host all postgres 127.0.0.1/32 trust
                                    host all all 127.0.0.1/32 scram-sha-256
                                    """);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .start());
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start", e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /**
     * A credential for this server in the JSON shape of AWS's PostgreSQL templates, without TLS (the server has
     * none), with {@code extra} keys beside it.
     */
    public Map<String, Object> credential(String username, String password, Map<String, Object> extra) {
        Map<String, Object> secret = new LinkedHashMap<>();
        secret.put("engine", "postgres");
        secret.put("host", HOST);
        secret.put("port", port());
        secret.put("username", username);
        secret.put("password", password);
        secret.put("dbname", "postgres");
        secret.put("ssl", false);
        secret.putAll(extra);
        return secret;
    }

    /** A fresh role name, so tests sharing the server never touch each other's users. */
    public static String uniqueRole(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** Runs statements as the superuser, in the {@code postgres} database. */
    public void execute(String... statements) {
        try (Connection connection = superuser(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("set-up statement failed: " + e.getMessage(), e);
        }
    }

    /** Whether {@code username} logs in with {@code password} (and can run a query). */
    public boolean canLogIn(String username, String password) {
        return canRun(username, password, "SELECT 1");
    }

    /** Whether {@code username} logs in with {@code password} and may run {@code sql}. */
    public boolean canRun(String username, String password, String sql) {
        Properties properties = new Properties();
        properties.setProperty("user", username);
        properties.setProperty("password", password);
        properties.setProperty("sslmode", "disable");
        try (Connection connection = DriverManager.getConnection(url(), properties);
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /**
     * The stored SCRAM verifier of {@code role}. It changes with every password change, even to the same password
     * (a new salt), so comparing it tells whether a step changed a password.
     */
    public Optional<String> passwordVerifier(String role) {
        try (Connection connection = superuser();
             PreparedStatement query = connection.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
            query.setString(1, role);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.ofNullable(rows.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read pg_authid", e);
        }
    }

    public boolean roleExists(String role) {
        try (Connection connection = superuser();
             PreparedStatement query = connection.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
            query.setString(1, role);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read pg_roles", e);
        }
    }

    /** Whether {@code member} is a member of {@code role} (inherits its privileges). */
    public boolean isMemberOf(String member, String role) {
        try (Connection connection = superuser();
             PreparedStatement query = connection.prepareStatement("SELECT pg_has_role(?, ?, 'MEMBER')")) {
            query.setString(1, member);
            query.setString(2, role);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not read role membership", e);
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not stop", e);
        }
    }

    private Connection superuser() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("sslmode", "disable");
        return DriverManager.getConnection(url(), properties);
    }

    private String url() {
        return "jdbc:postgresql://" + HOST + ":" + port() + "/postgres";
    }
}
