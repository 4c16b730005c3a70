package dev.lanyard.rotation.random;

import dev.lanyard.rotation.protocol.InvalidRotationException;
import dev.lanyard.rotation.protocol.LogField;
import dev.lanyard.rotation.protocol.MalformedSecretException;
import dev.lanyard.rotation.protocol.PasswordPolicy;
import dev.lanyard.rotation.protocol.Rotation;
import dev.lanyard.rotation.protocol.RotationLog;
import dev.lanyard.rotation.protocol.RotationStrategy;
import dev.lanyard.rotation.protocol.SecretJson;
import dev.lanyard.rotation.protocol.SecretStore;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.random.KeyPairs.Algorithm;
import dev.lanyard.rotation.random.KeyPairs.PemPair;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A secret no service checks, in one of three shapes. A value that is not a JSON object is a random value as a
 * whole (what AWS's rotation template makes). A JSON object says what it is in {@code type}: {@code "random"}
 * rotates its {@code value}; {@code "keypair"} rotates {@code publicKey} and {@code privateKey} (PEM) for its
 * {@code algorithm} (Ed25519 by default). Every other key of the object is kept.
 */
final class RandomSecretRotation implements RotationStrategy {
    private final SecretStore secrets;
    private final PasswordPolicy passwords;
    private final KeyPairs keyPairs;
    private final RotationLog log;

    RandomSecretRotation(SecretStore secrets, PasswordPolicy passwords, KeyPairs keyPairs, RotationLog log) {
        this.secrets = secrets;
        this.passwords = passwords;
        this.keyPairs = keyPairs;
        this.log = log;
    }

    @Override
    public String newPendingValue(Rotation rotation, String currentValue) {
        Optional<Map<String, Object>> object = SecretJson.tryParseObject(currentValue);
        if (object.isEmpty()) {
            return secrets.randomPassword(passwords);
        }
        Map<String, Object> next = new LinkedHashMap<>(object.get());
        switch (Kind.of(next)) {
            case RANDOM -> next.put("value", secrets.randomPassword(passwords));
            case KEY_PAIR -> {
                Algorithm algorithm = algorithm(next);
                PemPair pair = keyPairs.generate(algorithm);
                next.put("algorithm", algorithm.secretName());
                next.put("publicKey", pair.publicKey());
                next.put("privateKey", pair.privateKey());
                log.info(rotation, "createSecret: generated a key pair", Map.of(LogField.ALGORITHM, algorithm.secretName()));
            }
        }
        return SecretJson.write(next);
    }

    @Override
    public void setSecret(Rotation rotation) {
        log.info(rotation, "setSecret: nothing to set, only applications read this secret");
    }

    /** The pending value must be usable: a random value without excluded characters, or a key pair that signs. */
    @Override
    public void testSecret(Rotation rotation) {
        String pending = secrets.value(rotation.secretId(), rotation.token(), Stage.AWSPENDING);
        Optional<Map<String, Object>> object = SecretJson.tryParseObject(pending);
        boolean usable;
        if (object.isEmpty()) {
            usable = isRandomValue(pending);
        } else {
            Map<String, Object> fields = object.get();
            usable = switch (Kind.of(fields)) {
                case RANDOM -> fields.get("value") instanceof String value && isRandomValue(value);
                case KEY_PAIR -> fields.get("publicKey") instanceof String publicKey
                        && fields.get("privateKey") instanceof String privateKey
                        && keyPairs.belongTogether(algorithm(fields), new PemPair(publicKey, privateKey));
            };
        }
        if (!usable) {
            throw new InvalidRotationException(
                    "The pending value of secret %s is not a usable %s".formatted(rotation.secretId(), describe(object)));
        }
        log.info(rotation, "testSecret: the AWSPENDING value is usable");
    }

    private boolean isRandomValue(String value) {
        return !value.isEmpty() && value.chars().noneMatch(c -> passwords.excludeCharacters().indexOf(c) >= 0);
    }

    private static Algorithm algorithm(Map<String, Object> fields) {
        Object name = fields.getOrDefault("algorithm", Algorithm.ED25519.secretName());
        return Algorithm.named(String.valueOf(name));
    }

    private static String describe(Optional<Map<String, Object>> object) {
        return object.map(fields -> Kind.of(fields) == Kind.KEY_PAIR ? "key pair" : "random value").orElse("random value");
    }

    private enum Kind {
        RANDOM,
        KEY_PAIR;

        static Kind of(Map<String, Object> fields) {
            Object type = fields.get("type");
            if (type == null) {
                throw new MalformedSecretException("type key is missing from secret JSON");
            }
            return switch (type.toString()) {
                case "random" -> RANDOM;
                case "keypair" -> KEY_PAIR;
                default -> throw new MalformedSecretException("type in secret JSON must be 'random' or 'keypair'");
            };
        }
    }
}
