package dev.lanyard.rotation.postgres;

import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.LogField;
import dev.lanyard.rotation.protocol.Rotation;
import dev.lanyard.rotation.protocol.RotationLog;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Logs into PostgreSQL with a secret, the way AWS's templates do: a login that fails is an empty result, not an
 * error, so a step can try the next credential. TLS follows the secret's {@code ssl} key (see
 * {@link PostgresSecret#tls()}): verified TLS ({@code verify-full}) against the CA bundle at
 * {@value #LAMBDA_CA_BUNDLE} (the one Lambda's runtime carries, with the RDS roots), falling back to a plain login
 * only when the secret does not say.
 */
public final class PostgresLogin {
    /** Where Lambda's Amazon Linux runtime keeps the system CA bundle; AWS's templates use the same file. */
    public static final String LAMBDA_CA_BUNDLE = "/etc/pki/tls/cert.pem";
    private static final int TIMEOUT_SECONDS = 5;

    private final RotationLog log;
    private final String caBundle;

    public PostgresLogin(RotationLog log, String caBundle) {
        this.log = log;
        this.caBundle = caBundle;
    }

    public Optional<Connection> connect(Rotation rotation, PostgresSecret secret) {
        return switch (secret.tls()) {
            case REQUIRED -> attempt(rotation, secret, true);
            case DISABLED -> attempt(rotation, secret, false);
            case PREFERRED -> attempt(rotation, secret, true).or(() -> attempt(rotation, secret, false));
        };
    }

    /** Whether {@code secret} logs in; the connection is closed again. */
    public boolean logsIn(Rotation rotation, PostgresSecret secret) {
        Optional<Connection> connection = connect(rotation, secret);
        connection.ifPresent(PostgresLogin::closeQuietly);
        return connection.isPresent();
    }

    /**
     * testSecret: the pending credential logs in and can run a query. The place to check the grants an
     * application needs, if a team wants more than a login.
     */
    public void testPending(Rotation rotation, PostgresSecret pending) {
        try (Connection connection = connect(rotation, pending).orElseThrow(() -> new InvalidRotationException(
                "Unable to log into database with pending secret of secret ARN %s".formatted(rotation.secretId())));
             Statement statement = connection.createStatement()) {
            statement.execute("SELECT now()");
        } catch (SQLException e) {
            throw new DatabaseException("testSecret: the pending user logged in but could not run a query", e);
        }
        log.info(rotation, "testSecret: signed into PostgreSQL with the AWSPENDING secret",
                Map.of(LogField.USERNAME, pending.username(), LogField.HOST, pending.host()));
    }

    /**
     * Sets {@code username}'s password. The driver hashes it into a SCRAM verifier (or MD5, if the server is set to
     * that) and sends only the verifier, so the password never appears in the server's statement log, and nothing
     * here can quote it in an error. Runs in the connection's transaction.
     */
    public static void setPassword(Connection connection, String username, String password) throws SQLException {
        connection.unwrap(PGConnection.class).alterUserPassword(username, password.toCharArray(), null);
    }

    /** {@code name} quoted as a PostgreSQL identifier. */
    public static String quoteIdentifier(Connection connection, String name) throws SQLException {
        return connection.unwrap(PGConnection.class).escapeIdentifier(name);
    }

    private Optional<Connection> attempt(Rotation rotation, PostgresSecret secret, boolean tls) {
        PGSimpleDataSource source = new PGSimpleDataSource();
        source.setServerNames(new String[] {secret.host()});
        source.setPortNumbers(new int[] {secret.port()});
        source.setDatabaseName(secret.dbname());
        source.setUser(secret.username());
        source.setPassword(secret.password());
        source.setConnectTimeout(TIMEOUT_SECONDS);
        source.setLoginTimeout(TIMEOUT_SECONDS);
        source.setSocketTimeout(30);
        source.setApplicationName("lanyard-rotation");
        source.setSslMode(tls ? "verify-full" : "disable");
        if (tls) {
            source.setSslRootCert(caBundle);
        }
        Map<LogField, Object> fields = Map.of(
                LogField.USERNAME, secret.username(), LogField.HOST, secret.host(), LogField.TLS, tls);
        try {
            Connection connection = source.getConnection();
            log.info(rotation, "Logged into PostgreSQL", fields);
            return Optional.of(connection);
        } catch (SQLException e) {
            log.warn(rotation, "Could not log into PostgreSQL", Map.of(
                    LogField.USERNAME, secret.username(), LogField.HOST, secret.host(), LogField.TLS, tls,
                    LogField.SQL_STATE, String.valueOf(e.getSQLState())));
            return Optional.empty();
        }
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (SQLException e) {
            // a connection opened only to prove a login: nothing is left to clean up
        }
    }
}
