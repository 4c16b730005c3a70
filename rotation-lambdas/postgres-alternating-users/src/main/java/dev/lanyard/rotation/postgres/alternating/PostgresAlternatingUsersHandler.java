package dev.lanyard.rotation.postgres.alternating;

import dev.lanyard.rotation.postgres.PostgresLogin;
import dev.lanyard.rotation.protocol.PasswordPolicy;
import dev.lanyard.rotation.protocol.RotationHandler;
import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.RotationProtocol;
import dev.lanyard.rotation.protocol.SecretStore;
import dev.lanyard.rotation.protocol.SecretsManagerClients;
import java.util.Map;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Lambda handler: rotates between two PostgreSQL users, {@code <user>} and {@code <user>_clone}, with the
 * credentials of a master secret. Each rotation sets a new password for the user not in AWSCURRENT (creating the
 * clone the first time), so the credentials applications hold keep working until the rotation after next.
 */
public final class PostgresAlternatingUsersHandler extends RotationHandler {

    public PostgresAlternatingUsersHandler() {
        this(SecretsManagerClients.fromEnvironment(System.getenv()), System.getenv(), RotationLog.toStandardOutput(),
                PostgresLogin.LAMBDA_CA_BUNDLE);
    }

    PostgresAlternatingUsersHandler(SecretsManagerClient client, Map<String, String> environment, RotationLog log,
            String caBundle) {
        super(protocol(new SecretStore(client), environment, log, caBundle));
    }

    private static RotationProtocol protocol(SecretStore secrets, Map<String, String> environment, RotationLog log, String caBundle) {
        PasswordPolicy passwords = PasswordPolicy.fromEnvironment(environment, PasswordPolicy.DATABASE_EXCLUDED_CHARACTERS);
        return new RotationProtocol(secrets,
                new AlternatingUsersRotation(secrets, passwords, new PostgresLogin(log, caBundle), log), log);
    }
}
