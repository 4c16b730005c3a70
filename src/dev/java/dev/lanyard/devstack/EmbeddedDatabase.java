package dev.lanyard.devstack;

import dev.lanyard.database.SchemaMigration;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A real PostgreSQL (zonky's embedded binaries) on a free loopback port, for the default run and the tests.
 *
 * <p>It is set up the way production should be: a {@code lanyard} database owned by {@code lanyard_owner}
 * (migrations, a separate step) and used by {@code lanyard_app} (the service). Every role, the superuser included,
 * has a random password checked by SCRAM: the superuser is trusted only while the roles are created, then it gets a
 * password too, which Vault's database engine and the tests use to manage roles.
 *
 * <p>{@link #startTlsOnly} starts one that takes TLS connections only ({@code ssl=on}, {@code hostssl} lines alone in
 * {@code pg_hba.conf}), with a CA and server certificate made on the spot ({@link DatabaseCertificates}); its
 * {@link #lanyardConfig()} and {@link #ownerConfig} then ask for {@code verify-full} against that CA, and the
 * harness's own connections verify it too.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    public static final String DATABASE = "lanyard";
    public static final String OWNER = "lanyard_owner";
    public static final String APP = "lanyard_app";

    private static final String SUPERUSER = "postgres";

    private final EmbeddedPostgres postgres;
    private final Path dataDirectory;
    private final Optional<DatabaseCertificates> tls;
    private final String superuserPassword;
    private final String ownerPassword;
    private final String appPassword;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDirectory, Optional<DatabaseCertificates> tls) {
        this.postgres = postgres;
        this.dataDirectory = dataDirectory;
        this.tls = tls;
        this.superuserPassword = randomPassword();
        this.ownerPassword = randomPassword();
        this.appPassword = randomPassword();
    }

    public static EmbeddedDatabase start(Path dataDirectory) {
        return start(dataDirectory, Optional.empty());
    }

    /** A server that refuses plain TCP: its certificates are made beside {@code dataDirectory}, in {@code tls/}. */
    public static EmbeddedDatabase startTlsOnly(Path dataDirectory) {
        return start(dataDirectory, Optional.of(DatabaseCertificates.create(dataDirectory.resolveSibling("tls"))));
    }

    private static EmbeddedDatabase start(Path dataDirectory, Optional<DatabaseCertificates> tls) {
        try {
            Files.createDirectories(dataDirectory.getParent());
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            tls.ifPresent(files -> builder.setServerConfig("ssl", "on")
                    .setServerConfig("ssl_cert_file", files.certificate().toString())
                    .setServerConfig("ssl_key_file", files.key().toString())
                    .setServerConfig("log_connections", "on"));
            String host = tls.isPresent() ? "hostssl" : "host";
            EmbeddedPostgres postgres = builder
                    .setPort(FreePort.pick())
                    .setDataDirectory(dataDirectory)
                    .setCleanDataDirectory(true)
                    // Whoever started it stops it (DevStack, the tests): zonky's own hook would stop it while Lanyard
                    // is still writing its final audit checkpoint.
                    .setRegisterShutdownHook(false)
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("synchronous_commit", "on")
                    .setDataDirectoryCustomizer(dir -> writeHba(dir.toPath(), host + " all " + SUPERUSER
                            + " 127.0.0.1/32 trust\n" + host + " all all 127.0.0.1/32 scram-sha-256\n"))
                    // PostgreSQL's own log goes to a file beside its data, not into the output of whoever started it.
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(dataDirectory.resolveSibling("postgres.log").toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(dataDirectory.resolveSibling("postgres.log").toFile()))
                    .start();
            EmbeddedDatabase database = new EmbeddedDatabase(postgres, dataDirectory, tls);
            database.createRolesAndDatabase();
            database.requirePasswordsForEveryone();
            return database;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start", e);
        }
    }

    private static void writeHba(Path dataDirectory, String rules) {
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), rules);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void requirePasswordsForEveryone() {
        try (Connection c = connect(SUPERUSER, "", "postgres"); Statement s = c.createStatement()) {
            s.execute("alter role " + SUPERUSER + " password '" + superuserPassword + "'");
            writeHba(dataDirectory, (tls.isPresent() ? "hostssl" : "host") + " all all 127.0.0.1/32 scram-sha-256\n");
            s.execute("select pg_reload_conf()");
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL set-up failed", e);
        }
    }

    private void createRolesAndDatabase() {
        try (Connection c = connect(SUPERUSER, "", "postgres"); Statement s = c.createStatement()) {
            s.execute("create role " + OWNER + " login password '" + ownerPassword + "'");
            s.execute("create role " + APP + " login password '" + appPassword + "'");
            s.execute("create database " + DATABASE + " owner " + OWNER);
        } catch (SQLException e) {
            throw new IllegalStateException("embedded PostgreSQL set-up failed", e);
        }
        try (Connection c = connect(SUPERUSER, "", DATABASE); Statement s = c.createStatement()) {
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
        return connect(SUPERUSER, superuserPassword, database);
    }

    /** A connection to Lanyard's database as its owner, the role that runs migrations. */
    public Connection owner() throws SQLException {
        return connect(OWNER, ownerPassword, DATABASE);
    }

    /** A connection to Lanyard's database as the role the service runs as. */
    public Connection app() throws SQLException {
        return connect(APP, appPassword, DATABASE);
    }

    private Connection connect(String user, String password, String database) throws SQLException {
        return DriverManager.getConnection(harnessUrl(database), user, password);
    }

    /** The URL Lanyard is given: TLS comes from its settings, never from the URL. */
    private String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
    }

    /** The harness's own connections: verified TLS on a TLS-only server, as Lanyard's. */
    private String harnessUrl(String database) {
        return jdbcUrl(database) + tls.map(files -> "?sslmode=verify-full&sslrootcert=" + files.ca()).orElse("");
    }

    /** The CA and server certificate of a {@link #startTlsOnly} server. */
    public Optional<DatabaseCertificates> certificates() {
        return tls;
    }

    /** Lanyard's TLS settings for this server: verify-full against its CA, or nothing for a plain one. */
    public Map<String, String> tlsConfig() {
        return tls.map(files -> Map.of(
                "quarkus.datasource.reactive.postgresql.ssl-mode", "verify-full",
                "quarkus.datasource.reactive.trust-certificate-pem.certs", files.ca().toString()))
                .orElse(Map.of());
    }

    public String superuserPassword() {
        return superuserPassword;
    }

    /** The owner's password, for a migration step run as a separate process ({@code lanyard.owner.password}). */
    public String ownerPassword() {
        return ownerPassword;
    }

    /** Migrates Lanyard's schema as its owner, the step that precedes starting the service. */
    public void migrate() {
        SchemaMigration.migrate(harnessUrl(DATABASE), OWNER, ownerPassword, APP);
    }

    /** Configuration for the owner's jobs (migration, pruning), with the owner's password behind {@code passwordReference}. */
    public Map<String, String> ownerConfig(String passwordReference) {
        Map<String, String> config = new LinkedHashMap<>(Map.of(
                "lanyard.owner.jdbc-url", jdbcUrl(DATABASE),
                "lanyard.owner.username", OWNER,
                "lanyard.owner.password", passwordReference,
                "lanyard.database.app-role", APP));
        config.putAll(tlsConfig());
        return config;
    }

    /** Configuration that points the service at this database, as its app role: it never holds the owner's password. */
    public Map<String, String> lanyardConfig() {
        Map<String, String> config = new LinkedHashMap<>(Map.of(
                "quarkus.datasource.reactive.url", "postgresql://127.0.0.1:" + port() + "/" + DATABASE,
                "quarkus.datasource.username", APP,
                "quarkus.datasource.password", appPassword,
                "lanyard.database.app-role", APP));
        config.putAll(tlsConfig());
        return config;
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
