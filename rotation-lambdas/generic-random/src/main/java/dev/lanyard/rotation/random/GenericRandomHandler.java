package dev.lanyard.rotation.random;

import dev.lanyard.rotation.protocol.PasswordPolicy;
import dev.lanyard.rotation.protocol.RotationHandler;
import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.RotationProtocol;
import dev.lanyard.rotation.protocol.SecretStore;
import dev.lanyard.rotation.protocol.SecretsManagerClients;
import java.security.SecureRandom;
import java.util.Map;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Lambda handler: rotates a secret that only applications read (an API key, a signing key, a shared token), so
 * there is no service to tell: a new random value, or a new key pair, is staged, checked and made current.
 */
public final class GenericRandomHandler extends RotationHandler {

    public GenericRandomHandler() {
        this(SecretsManagerClients.fromEnvironment(System.getenv()), System.getenv(), RotationLog.toStandardOutput(),
                new SecureRandom());
    }

    GenericRandomHandler(SecretsManagerClient client, Map<String, String> environment, RotationLog log, SecureRandom random) {
        super(protocol(new SecretStore(client), environment, log, random));
    }

    private static RotationProtocol protocol(SecretStore secrets, Map<String, String> environment, RotationLog log,
            SecureRandom random) {
        PasswordPolicy passwords = PasswordPolicy.fromEnvironment(environment, PasswordPolicy.GENERIC_EXCLUDED_CHARACTERS);
        return new RotationProtocol(secrets, new RandomSecretRotation(secrets, passwords, new KeyPairs(random), log), log);
    }
}
