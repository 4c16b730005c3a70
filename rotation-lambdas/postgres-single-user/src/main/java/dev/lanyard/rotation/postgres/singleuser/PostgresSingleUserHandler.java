package dev.lanyard.rotation.postgres.singleuser;

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
 * Lambda handler: rotates a PostgreSQL user's password by logging in as that user and changing it. The old password
 * stops working at setSecret, so clients must pick up AWSCURRENT quickly; see the README for when to prefer
 * alternating users.
 */
public final class PostgresSingleUserHandler extends RotationHandler {

    public PostgresSingleUserHandler() {
        this(SecretsManagerClients.fromEnvironment(System.getenv()), System.getenv(), RotationLog.toStandardOutput(),
                PostgresLogin.LAMBDA_CA_BUNDLE);
    }

    PostgresSingleUserHandler(SecretsManagerClient client, Map<String, String> environment, RotationLog log, String caBundle) {
        super(protocol(new SecretStore(client), environment, log, caBundle));
    }

    private static RotationProtocol protocol(SecretStore secrets, Map<String, String> environment, RotationLog log, String caBundle) {
        PasswordPolicy passwords = PasswordPolicy.fromEnvironment(environment, PasswordPolicy.DATABASE_EXCLUDED_CHARACTERS);
        return new RotationProtocol(secrets,
                new SingleUserRotation(secrets, passwords, new PostgresLogin(log, caBundle), log), log);
    }
}
