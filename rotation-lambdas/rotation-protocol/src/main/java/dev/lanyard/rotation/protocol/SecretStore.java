package dev.lanyard.rotation.protocol;

import java.util.Optional;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/**
 * The Secrets Manager calls a rotation makes. Every read names its staging label: asking for a version without one
 * answers whatever Secrets Manager considers the default, which in moto lags behind a moved AWSCURRENT.
 */
public final class SecretStore {
    private final SecretsManagerClient client;

    public SecretStore(SecretsManagerClient client) {
        this.client = client;
    }

    DescribeSecretResponse describe(String secretId) {
        return client.describeSecret(request -> request.secretId(secretId));
    }

    /** The value staged {@code stage}; {@link ResourceNotFoundException} when no version carries it. */
    public String value(String secretId, Stage stage) {
        return client.getSecretValue(request -> request.secretId(secretId).versionStage(stage.name())).secretString();
    }

    /** The value of the version {@code token}, which must be staged {@code stage}. */
    public String value(String secretId, String token, Stage stage) {
        return client.getSecretValue(request -> request.secretId(secretId).versionId(token).versionStage(stage.name()))
                .secretString();
    }

    /** The value staged {@code stage}, or empty when no version carries it (AWSPREVIOUS before a first rotation). */
    public Optional<String> valueIfPresent(String secretId, Stage stage) {
        try {
            return Optional.ofNullable(value(secretId, stage));
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
    }

    /** The value of the pending version {@code token}, or empty while it has none (before createSecret). */
    Optional<String> pendingValueIfPresent(String secretId, String token) {
        try {
            return Optional.ofNullable(value(secretId, token, Stage.AWSPENDING));
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
    }

    void putPending(Rotation rotation, String value) {
        client.putSecretValue(request -> request.secretId(rotation.secretId())
                .clientRequestToken(rotation.token())
                .rotationToken(rotation.rotationToken())
                .secretString(value)
                .versionStages(Stage.AWSPENDING.name()));
    }

    void moveCurrent(String secretId, String toVersion, String fromVersion) {
        client.updateSecretVersionStage(request -> request.secretId(secretId)
                .versionStage(Stage.AWSCURRENT.name())
                .moveToVersionId(toVersion)
                .removeFromVersionId(fromVersion));
    }

    /** A new password from Secrets Manager's generator, as AWS's templates make them. */
    public String randomPassword(PasswordPolicy policy) {
        return client.getRandomPassword(request -> request
                        .excludeCharacters(policy.excludeCharacters())
                        .passwordLength((long) policy.length())
                        .excludeNumbers(policy.excludeNumbers())
                        .excludePunctuation(policy.excludePunctuation())
                        .excludeUppercase(policy.excludeUppercase())
                        .excludeLowercase(policy.excludeLowercase())
                        .requireEachIncludedType(policy.requireEachIncludedType()))
                .randomPassword();
    }
}
