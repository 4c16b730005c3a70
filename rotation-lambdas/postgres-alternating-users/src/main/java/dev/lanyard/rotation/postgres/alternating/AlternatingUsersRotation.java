package dev.lanyard.rotation.postgres.alternating;

import dev.lanyard.rotation.postgres.DatabaseException;
import dev.lanyard.rotation.postgres.PostgresLogin;
import dev.lanyard.rotation.postgres.PostgresSecret;
import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.LogField;
import dev.lanyard.rotation.protocol.PasswordPolicy;
import dev.lanyard.rotation.protocol.Rotation;
import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.RotationStrategy;
import dev.lanyard.rotation.protocol.SecretStore;
import dev.lanyard.rotation.protocol.Stage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * The multi-user scheme of AWS's PostgreSQL template. The pending secret names the other user of the pair; the
 * master secret (the current secret's {@code masterarn}) creates it the first time, as a member of the current
 * user so it has the same privileges, and afterwards only sets its password.
 */
final class AlternatingUsersRotation implements RotationStrategy {
    static final String CLONE_SUFFIX = "_clone";
    private static final int MAX_IDENTIFIER_LENGTH = 63;

    private final SecretStore secrets;
    private final PasswordPolicy passwords;
    private final PostgresLogin login;
    private final RotationLog log;

    AlternatingUsersRotation(SecretStore secrets, PasswordPolicy passwords, PostgresLogin login, RotationLog log) {
        this.secrets = secrets;
        this.passwords = passwords;
        this.login = login;
        this.log = log;
    }

    @Override
    public String newPendingValue(Rotation rotation, String currentValue) {
        PostgresSecret current = PostgresSecret.parse(currentValue);
        return current.withCredentials(alternate(current.username()), secrets.randomPassword(passwords)).toJson();
    }

    /**
     * Logs in with the pending secret first: if that works, an earlier attempt already set it. Otherwise it proves
     * the current secret still logs in (so a caller cannot have the master act on a credential it does not hold),
     * then logs in as the master and creates the other user or sets its password, in one transaction.
     */
    @Override
    public void setSecret(Rotation rotation) {
        PostgresSecret current = PostgresSecret.parse(secrets.value(rotation.secretId(), Stage.AWSCURRENT));
        PostgresSecret pending = PostgresSecret.parse(secrets.value(rotation.secretId(), rotation.token(), Stage.AWSPENDING));

        if (login.logsIn(rotation, pending)) {
            log.info(rotation, "setSecret: the AWSPENDING password is already the user's password",
                    Map.of(LogField.USERNAME, pending.username()));
            return;
        }
        if (!alternate(current.username()).equals(pending.username())) {
            throw new InvalidRotationException("Attempting to modify user %s other than current user or clone %s"
                    .formatted(pending.username(), current.username()));
        }
        if (!current.host().equals(pending.host())) {
            throw new InvalidRotationException("Attempting to modify user for host %s other than current host %s"
                    .formatted(pending.host(), current.host()));
        }
        if (!login.logsIn(rotation, current)) {
            throw new InvalidRotationException(
                    "Unable to log into database using current credentials for secret %s".formatted(rotation.secretId()));
        }

        String masterArn = current.masterArn();
        PostgresSecret master = PostgresSecret.parse(secrets.value(masterArn, Stage.AWSCURRENT))
                .withDbname(current.dbnameOrNull());
        // AWS's template also accepts an RDS read replica of the master's host, found through the RDS API; this
        // function talks to Secrets Manager only, so the hosts must match.
        if (!current.host().equals(master.host())) {
            throw new InvalidRotationException("Current database host %s is not the same host as/rds replica of master %s"
                    .formatted(current.host(), master.host()));
        }
        try (Connection database = login.connect(rotation, master).orElseThrow(() -> new InvalidRotationException(
                "Unable to log into database using credentials in master secret %s".formatted(masterArn)))) {
            boolean created = createOrUpdate(database, current.username(), pending);
            log.info(rotation, created ? "setSecret: created the user with the AWSPENDING password"
                            : "setSecret: set the AWSPENDING password as the user's password",
                    Map.of(LogField.USERNAME, pending.username(), LogField.HOST, pending.host()));
        } catch (SQLException e) {
            throw new DatabaseException("setSecret: could not create or update user " + pending.username(), e);
        }
    }

    @Override
    public void testSecret(Rotation rotation) {
        login.testPending(rotation,
                PostgresSecret.parse(secrets.value(rotation.secretId(), rotation.token(), Stage.AWSPENDING)));
    }

    /** {@code <user>_clone} for {@code <user>}, and back. */
    static String alternate(String username) {
        if (username.endsWith(CLONE_SUFFIX)) {
            return username.substring(0, username.length() - CLONE_SUFFIX.length());
        }
        String clone = username + CLONE_SUFFIX;
        if (clone.length() > MAX_IDENTIFIER_LENGTH) {
            throw new InvalidRotationException(
                    "Unable to clone user, username length with _clone appended would exceed 63 characters");
        }
        return clone;
    }

    // All or nothing: a function stopped half-way leaves no user without its grant or its password.
    private static boolean createOrUpdate(Connection database, String currentUser, PostgresSecret pending) throws SQLException {
        database.setAutoCommit(false);
        try {
            boolean exists;
            try (PreparedStatement query = database.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
                query.setString(1, pending.username());
                try (ResultSet rows = query.executeQuery()) {
                    exists = rows.next();
                }
            }
            if (!exists) {
                String pendingUser = PostgresLogin.quoteIdentifier(database, pending.username());
                try (Statement statement = database.createStatement()) {
                    statement.execute("CREATE ROLE " + pendingUser + " WITH LOGIN");
                    statement.execute("GRANT " + PostgresLogin.quoteIdentifier(database, currentUser) + " TO " + pendingUser);
                }
            }
            PostgresLogin.setPassword(database, pending.username(), pending.password());
            database.commit();
            return !exists;
        } catch (SQLException e) {
            database.rollback();
            throw e;
        }
    }
}
