package dev.lanyard.rotation.postgres.singleuser;

import dev.lanyard.rotation.postgres.DatabaseException;
import dev.lanyard.rotation.postgres.PostgresLogin;
import dev.lanyard.rotation.postgres.PostgresSecret;
import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.LogField;
import dev.lanyard.rotation.protocol.MalformedSecretException;
import dev.lanyard.rotation.protocol.PasswordPolicy;
import dev.lanyard.rotation.protocol.Rotation;
import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.RotationStrategy;
import dev.lanyard.rotation.protocol.SecretStore;
import dev.lanyard.rotation.protocol.Stage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/** The single-user scheme of AWS's PostgreSQL template: the user logs in and sets its own new password. */
final class SingleUserRotation implements RotationStrategy {
    private final SecretStore secrets;
    private final PasswordPolicy passwords;
    private final PostgresLogin login;
    private final RotationLog log;

    SingleUserRotation(SecretStore secrets, PasswordPolicy passwords, PostgresLogin login, RotationLog log) {
        this.secrets = secrets;
        this.passwords = passwords;
        this.login = login;
        this.log = log;
    }

    @Override
    public String newPendingValue(Rotation rotation, String currentValue) {
        PostgresSecret current = PostgresSecret.parse(currentValue);
        return current.withCredentials(current.username(), secrets.randomPassword(passwords)).toJson();
    }

    /**
     * Logs in with the pending password first: if that works, an earlier attempt already set it and nothing is
     * changed. Otherwise it logs in with the current password, or the previous one (a rotation that set the
     * password but never finished), and sets the pending password.
     */
    @Override
    public void setSecret(Rotation rotation) {
        Optional<PostgresSecret> previous = previous(rotation);
        PostgresSecret current = PostgresSecret.parse(secrets.value(rotation.secretId(), Stage.AWSCURRENT));
        PostgresSecret pending = PostgresSecret.parse(secrets.value(rotation.secretId(), rotation.token(), Stage.AWSPENDING));

        if (login.logsIn(rotation, pending)) {
            log.info(rotation, "setSecret: the AWSPENDING password is already the user's password",
                    Map.of(LogField.USERNAME, pending.username()));
            return;
        }
        if (!current.username().equals(pending.username())) {
            throw new InvalidRotationException("Attempting to modify user %s other than current user %s"
                    .formatted(pending.username(), current.username()));
        }
        if (!current.host().equals(pending.host())) {
            throw new InvalidRotationException("Attempting to modify user for host %s other than current host %s"
                    .formatted(pending.host(), current.host()));
        }
        Optional<Connection> connection = login.connect(rotation, current);
        if (connection.isEmpty() && previous.isPresent()) {
            PostgresSecret earlier = previous.get().withTlsOf(current);
            if (!earlier.username().equals(pending.username())) {
                throw new InvalidRotationException("Attempting to modify user %s other than previous valid user %s"
                        .formatted(pending.username(), earlier.username()));
            }
            if (!earlier.host().equals(pending.host())) {
                throw new InvalidRotationException("Attempting to modify user for host %s other than previous valid host %s"
                        .formatted(pending.host(), earlier.host()));
            }
            connection = login.connect(rotation, earlier);
        }
        try (Connection database = connection.orElseThrow(() -> new InvalidRotationException(
                "Unable to log into database with previous, current, or pending secret of secret arn %s"
                        .formatted(rotation.secretId())))) {
            PostgresLogin.setPassword(database, pending.username(), pending.password());
        } catch (SQLException e) {
            throw new DatabaseException("setSecret: could not set the password of user " + pending.username(), e);
        }
        log.info(rotation, "setSecret: set the AWSPENDING password as the user's password",
                Map.of(LogField.USERNAME, pending.username(), LogField.HOST, pending.host()));
    }

    @Override
    public void testSecret(Rotation rotation) {
        login.testPending(rotation,
                PostgresSecret.parse(secrets.value(rotation.secretId(), rotation.token(), Stage.AWSPENDING)));
    }

    // As in the template: a missing or malformed AWSPREVIOUS only means there is no earlier password to try.
    private Optional<PostgresSecret> previous(Rotation rotation) {
        try {
            return secrets.valueIfPresent(rotation.secretId(), Stage.AWSPREVIOUS).map(PostgresSecret::parse);
        } catch (MalformedSecretException e) {
            return Optional.empty();
        }
    }
}
