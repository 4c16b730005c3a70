package dev.lanyard.rotation;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.postgresql.Driver;
import org.postgresql.PGConnection;

/**
 * One step's connections to a declared PostgreSQL server ({@link RotationTargets}). Passwords are changed with the
 * driver's {@code alterUserPassword}, which hashes them (SCRAM-SHA-256) before they leave Lanyard, so the new password
 * never appears in the server's statement log.
 *
 * <p>Every connection is secured as the operator declared (TLS verified by default, channel binding whenever the
 * server offers SCRAM, never a fall-back to plaintext), and bounded by the step's deadline: the server itself cancels
 * any statement (a password change waiting on a role another session has locked) before the engine stops waiting, so
 * a change the engine abandoned can never land after it moved on, retried or rolled back.
 */
final class PostgresTarget {

    private static final Pattern ROLE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** Less than this left of the step, a statement is not started: it could not end before the deadline. */
    private static final Duration TOO_LITTLE = Duration.ofMillis(200);

    private final RotationTargets.Declared target;
    private final StepDeadline deadline;

    PostgresTarget(RotationTargets.Declared target, StepDeadline deadline) {
        this.target = target;
        this.deadline = deadline;
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
            throw failure(e, "the target database cannot be reached");
        }
    }

    /** Logged in as {@code user}, sets {@code role}'s password (a role may always set its own). */
    void setPassword(String user, String password, String role, String newPassword) {
        try (Connection connection = connect(user, password)) {
            try (Statement statement = connection.createStatement()) {
                // Measured again now that the login is done: the change must end, at the server, before the step does.
                statement.execute("set statement_timeout = " + budget().toMillis());
            }
            connection.unwrap(PGConnection.class).alterUserPassword(role, newPassword.toCharArray(), "scram-sha-256");
        } catch (SQLException e) {
            if (refusedLogin(e)) {
                throw new StepFailure(StepCode.TARGET_LOGIN_REFUSED, "the target refused the login that changes the password");
            }
            throw failure(e, "the target database could not change the password");
        }
    }

    private Connection connect(String user, String password) throws SQLException {
        Duration budget = budget();
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("sslmode", target.sslMode().spelling());
        if (target.sslMode() != RotationTargets.SslMode.DISABLE) {
            if (target.rootCert().isPresent()) {
                properties.setProperty("sslrootcert", target.rootCert().get().toString());
            } else {
                properties.setProperty("sslfactory", "org.postgresql.ssl.DefaultJavaSSLFactory");
            }
        }
        properties.setProperty("channelBinding", target.channelBindingRequired() ? "require" : "prefer");
        // Rotation logs in with passwords only: no GSS encryption attempt, and no Kerberos login handed the password
        // should a server ask for GSSAPI.
        properties.setProperty("gssEncMode", "disable");
        properties.setProperty("jaasLogin", "false");
        long seconds = Math.max(1, (budget.toMillis() + 999) / 1000);
        properties.setProperty("connectTimeout", String.valueOf(Math.min(5, seconds)));
        properties.setProperty("loginTimeout", String.valueOf(seconds));
        properties.setProperty("socketTimeout", String.valueOf(seconds + 1));
        // Set by the server before the first statement: a lock wait gives up at half the step's time, and no statement
        // outlives the step.
        long lockMillis = Math.min(budget.toMillis(), deadline.length().toMillis() / 2);
        properties.setProperty("options", "-c lock_timeout=" + lockMillis + " -c statement_timeout=" + budget.toMillis());
        properties.setProperty("ApplicationName", "lanyard-rotation");
        Connection connection = new Driver().connect(target.url(), properties);
        if (connection == null) {
            throw new SQLException("not a PostgreSQL URL", "08001");
        }
        return connection;
    }

    /**
     * What a statement may take: the step's remaining time, less a tenth of the step (at most two seconds) for the
     * server's cancel and its answer to travel.
     */
    private Duration budget() {
        Duration length = deadline.length();
        Duration margin = length.dividedBy(10).compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : length.dividedBy(10);
        Duration budget = deadline.remaining().minus(margin);
        if (budget.compareTo(TOO_LITTLE) < 0) {
            throw new StepFailure(StepCode.STEP_TIMEOUT, "too little of the step's time is left to use the target");
        }
        return budget;
    }

    /** 28P01 wrong password, 28000 no such role or no login allowed; 42501 no CONNECT on the database. */
    private static boolean refusedLogin(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("28") || state.equals("42501"));
    }

    /**
     * 55P03: a lock wait ran out ({@code lock_timeout}); 57014: the statement ran out of the step's time; 08004 (the
     * server declined TLS, or asked for a login channel binding forbids) or a TLS failure: not as declared.
     */
    private static StepFailure failure(SQLException e, String unavailable) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.equals("55P03")) {
            return new StepFailure(StepCode.TARGET_LOCKED, "the role was locked by another session past the lock timeout");
        }
        if (state.equals("57014")) {
            return new StepFailure(StepCode.STEP_TIMEOUT, "the target cancelled the statement at the step's deadline");
        }
        if (state.equals("08004") || causedBy(e, SSLException.class)) {
            return new StepFailure(StepCode.TARGET_INSECURE,
                    "the target did not offer the TLS or the login its declaration requires; no password was sent");
        }
        return new StepFailure(StepCode.TARGET_UNAVAILABLE, unavailable);
    }

    private static boolean causedBy(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }
}
