package dev.lanyard.rotation.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL (zonky's embedded binaries) on a free loopback port, with password logins: every user but the
 * test's own superuser must give a SCRAM password, so a test that logs in proves the password. The superuser
 * {@code postgres} logs in without one, for setting up and inspecting. {@link #startTlsOnly} starts one that takes
 * TLS connections only, with a CA and server certificate that {@code openssl} makes for the test ({@link #caBundle()}).
 */
public final class PostgresServer implements AutoCloseable {
    public static final String HOST = "127.0.0.1";

    private final EmbeddedPostgres postgres;
    private final Optional<Path> caBundle;

    private PostgresServer(EmbeddedPostgres postgres, Optional<Path> caBundle) {
        this.postgres = postgres;
        this.caBundle = caBundle;
    }

    public static PostgresServer start() {
        return start(Optional.empty(), "host");
    }

    /** A server that refuses plain TCP ({@code hostssl} lines only); its certificates are made in {@code directory}. */
    public static PostgresServer startTlsOnly(Path directory) {
        return start(Optional.of(certificates(directory)), "hostssl");
    }

    private static PostgresServer start(Optional<Path> tls, String host) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            tls.ifPresent(directory -> builder.setServerConfig("ssl", "on")
                    .setServerConfig("ssl_cert_file", directory.resolve("server.crt").toString())
                    .setServerConfig("ssl_key_file", directory.resolve("server.key").toString()));
            return new PostgresServer(builder
                    .setPort(FreePort.pick())
                    .setServerConfig("listen_addresses", HOST)
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("fsync", "off")
                    .setDataDirectoryCustomizer(directory -> {
                        try {
                            Files.writeString(directory.toPath().resolve("pg_hba.conf"), """
                                    %1$s all postgres 127.0.0.1/32 trust
                                    %1$s all all 127.0.0.1/32 scram-sha-256
                                    """.formatted(host));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .start(), tls.map(directory -> directory.resolve("ca.crt")));
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start", e);
        }
    }

    /** The CA file clients verify a {@link #startTlsOnly} server's certificate with. */
    public Path caBundle() {
        return caBundle.orElseThrow(() -> new IllegalStateException("this server has no TLS"));
    }

    /** A CA, and a server certificate it signs for 127.0.0.1 and localhost, valid for a day. */
    private static Path certificates(Path directory) {
        try {
            Files.createDirectories(directory);
            Files.writeString(directory.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    + "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n");
            openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=rotation test CA");
            openssl(directory, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
            openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.crt", "-days", "1", "-extfile", "server.ext");
            Files.setPosixFilePermissions(directory.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
            return directory;
        } catch (IOException e) {
            throw new UncheckedIOException("could not make the test server's certificates", e);
        }
    }

    private static void openssl(Path directory, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(directory.resolve("openssl.log").toFile()).start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("openssl " + arguments[0] + " failed; see " + directory.resolve("openssl.log"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making certificates", e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /**
     * A credential for this server in the JSON shape of AWS's PostgreSQL templates, with {@code "ssl"} as the server
     * needs it ({@code false} for a plain one, {@code true} for a TLS-only one), with {@code extra} keys beside it.
     */
    public Map<String, Object> credential(String username, String password, Map<String, Object> extra) {
        Map<String, Object> secret = new LinkedHashMap<>();
        secret.put("engine", "postgres");
        secret.put("host", HOST);
        secret.put("port", port());
        secret.put("username", username);
        secret.put("password", password);
        secret.put("dbname", "postgres");
        secret.put("ssl", caBundle.isPresent());
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
        tls(properties);
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
        tls(properties);
        return DriverManager.getConnection(url(), properties);
    }

    /** Plain text to a plain server; verified TLS to a TLS-only one. */
    private void tls(Properties properties) {
        properties.setProperty("sslmode", caBundle.isPresent() ? "verify-full" : "disable");
        caBundle.ifPresent(ca -> properties.setProperty("sslrootcert", ca.toString()));
    }

    private String url() {
        return "jdbc:postgresql://" + HOST + ":" + port() + "/postgres";
    }
}
