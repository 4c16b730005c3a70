package dev.lanyard.rotation;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;
import org.postgresql.Driver;
import org.postgresql.PGConnection;

/**
 * The PostgreSQL server whose logins a schedule rotates, reached over JDBC. Passwords are changed with the driver's
 * {@code alterUserPassword}, which hashes them (SCRAM-SHA-256) before they leave Lanyard, so the new password never
 * appears in the server's statement log.
 */
final class PostgresTarget {

    /**
     * Host, port and database only: connection properties in the URL could make the driver load classes or read files
     * of Lanyard's host (socketFactory, sslfactory, sslkey), and whoever schedules a rotation may not choose those.
     */
    private static final Pattern URL = Pattern.compile("jdbc:postgresql://[A-Za-z0-9.\\-\\[\\]:]{1,255}(:[0-9]{1,5})?/[A-Za-z0-9_\\-]{1,63}");
    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String url;

    PostgresTarget(String url) {
        this.url = url;
    }

    static PostgresTarget of(StrategyContext context) {
        return new PostgresTarget(Parameters.text(context.parameters(), "jdbc_url", null));
    }

    static void validateUrl(String url) {
        if (!URL.matcher(url).matches()) {
            throw InvalidRotationException.invalidStrategy(
                    "parameter 'jdbc_url' is jdbc:postgresql://<host>[:<port>]/<database>, without connection properties");
        }
    }

    static void validateRole(String name, String parameter) {
        if (!ROLE.matcher(name).matches()) {
            throw InvalidRotationException.invalidStrategy("parameter '" + parameter + "' names a role of [a-z0-9_], up to 63");
        }
    }

    /** Whether {@code user} can log in with {@code password} now; failures other than a refused login are retryable. */
    boolean logsIn(String user, String password) {
        try (Connection connection = connect(user, password); Statement statement = connection.createStatement()) {
            statement.execute("select 1");
            return true;
        } catch (SQLException e) {
            if (refusedLogin(e)) {
                return false;
            }
            throw new StepFailure(StepCode.TARGET_UNAVAILABLE, "the target database cannot be reached");
        }
    }

    /** Logged in as {@code user}, sets {@code role}'s password (a role may always set its own). */
    void setPassword(String user, String password, String role, String newPassword) {
        try (Connection connection = connect(user, password)) {
            connection.unwrap(PGConnection.class).alterUserPassword(role, newPassword.toCharArray(), "scram-sha-256");
        } catch (SQLException e) {
            if (refusedLogin(e)) {
                throw new StepFailure(StepCode.TARGET_LOGIN_REFUSED, "the target refused the login that changes the password");
            }
            throw new StepFailure(StepCode.TARGET_UNAVAILABLE, "the target database could not change the password");
        }
    }

    private Connection connect(String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("loginTimeout", "5");
        properties.setProperty("socketTimeout", "15");
        properties.setProperty("ApplicationName", "lanyard-rotation");
        Connection connection = new Driver().connect(url, properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL URL", "08001");
        }
        return connection;
    }

    /** 28P01 wrong password, 28000 no such role or no login allowed; 42501 no CONNECT on the database. */
    private static boolean refusedLogin(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("28") || state.equals("42501"));
    }
}
