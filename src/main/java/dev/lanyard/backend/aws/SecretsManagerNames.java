package dev.lanyard.backend.aws;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How Lanyard's paths, version ids and stages are spelled in Secrets Manager, checked before any call so a malformed
 * one is a 400, never a request AWS refuses.
 */
final class SecretsManagerNames {

    /** A secret's name: what Secrets Manager allows in one, up to its length limit. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9/_+=.@-]{1,512}");
    /** A secret's ARN, which Secrets Manager accepts wherever it takes a name. */
    private static final Pattern ARN = Pattern.compile(
            "arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}");
    /** A version id: AWS makes UUIDs; a client request token (32 to 64 of these) becomes one too. */
    private static final Pattern VERSION_ID = Pattern.compile("[A-Za-z0-9-]{32,64}");

    static final String CURRENT = "AWSCURRENT";
    static final String PENDING = "AWSPENDING";
    static final String PREVIOUS = "AWSPREVIOUS";

    private SecretsManagerNames() {}

    /** The {@code SecretId} for {@code path}: its name, or its ARN. */
    static String secretId(SecretPath path) {
        String value = path.value();
        if (NAME.matcher(value).matches() || ARN.matcher(value).matches()) {
            return value;
        }
        throw new InvalidSecretPathException("an AWS secret is named with [A-Za-z0-9/_+=.@-] or by its ARN");
    }

    static boolean isArn(String secretId) {
        return secretId.startsWith("arn:");
    }

    static String versionId(String id) {
        if (!VERSION_ID.matcher(id).matches()) {
            throw new InvalidSecretPathException("an AWS version id is 32 to 64 characters of [A-Za-z0-9-]");
        }
        return id;
    }

    /** The staging label for {@code stage}. */
    static String label(Stage stage) {
        if (stage.equals(Stage.CURRENT)) {
            return CURRENT;
        }
        if (stage.equals(Stage.PENDING)) {
            return PENDING;
        }
        if (stage.equals(Stage.PREVIOUS)) {
            return PREVIOUS;
        }
        String label = stage.label();
        if (label.equals(CURRENT) || label.equals(PENDING) || label.equals(PREVIOUS)) {
            // One stage, one spelling: AWSCURRENT is current.
            throw new InvalidSecretPathException("the stages AWSCURRENT, AWSPENDING and AWSPREVIOUS are spelled current, pending and previous");
        }
        return label;
    }

    /** The stage a staging label is; empty for a label Lanyard cannot name (longer than a stage may be). */
    static Optional<Stage> stage(String label) {
        return switch (label) {
            case CURRENT -> Optional.of(Stage.CURRENT);
            case PENDING -> Optional.of(Stage.PENDING);
            case PREVIOUS -> Optional.of(Stage.PREVIOUS);
            default -> {
                try {
                    yield Optional.of(Stage.of(label));
                } catch (InvalidSecretPathException e) {
                    yield Optional.empty();
                }
            }
        };
    }
}
