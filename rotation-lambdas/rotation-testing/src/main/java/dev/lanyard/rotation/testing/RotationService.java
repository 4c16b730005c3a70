package dev.lanyard.rotation.testing;

import com.amazonaws.services.lambda.runtime.events.SecretsManagerRotationEvent;
import dev.lanyard.rotation.protocol.Stage;
import dev.lanyard.rotation.protocol.Step;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Plays Secrets Manager's part in a rotation against moto: {@link #start} calls RotateSecret, which enables rotation
 * and creates the pending version (staged AWSPENDING, no value yet) under a new token; the test then sends the
 * handler the events Secrets Manager would, in order, as often as it likes.
 */
public final class RotationService {
    private final SecretsManagerClient client;
    private final String functionArn;

    public RotationService(MotoServer moto) {
        this.client = moto.secretsManager();
        this.functionArn = moto.rotationFunctionArn();
    }

    /** A new secret with {@code value} as its first (AWSCURRENT) version; its ARN. */
    public String createSecret(String name, String value) {
        return client.createSecret(request -> request.name(name + "-" + UUID.randomUUID()).secretString(value)).arn();
    }

    /** Starts a rotation of {@code secretArn}: the token of its new pending version. */
    public String start(String secretArn) {
        releaseFinishedPendingLabel(secretArn);
        String token = UUID.randomUUID().toString();
        client.rotateSecret(request -> request.secretId(secretArn)
                .clientRequestToken(token)
                .rotationLambdaARN(functionArn)
                .rotationRules(rules -> rules.automaticallyAfterDays(30L))
                .rotateImmediately(true));
        return token;
    }

    /**
     * A finished rotation leaves AWSPENDING on the version that is now AWSCURRENT, as AWS's templates do. Secrets
     * Manager accepts that state ("AWSPENDING and AWSCURRENT attached to the same version") and starts the next
     * rotation; moto 5.2.5 has the test the wrong way round and refuses with "Previous rotation request is still in
     * progress". Taking the label off first leaves the other allowed state, no AWSPENDING at all.
     */
    private void releaseFinishedPendingLabel(String secretArn) {
        versions(secretArn).forEach((version, stages) -> {
            if (stages.contains(Stage.AWSPENDING.name()) && stages.contains(Stage.AWSCURRENT.name())) {
                client.updateSecretVersionStage(request -> request.secretId(secretArn)
                        .versionStage(Stage.AWSPENDING.name()).removeFromVersionId(version));
            }
        });
    }

    /** Turns rotation off, the way a user does (CancelRotateSecret); DescribeSecret then says RotationEnabled false. */
    public void disableRotation(String secretArn) {
        client.cancelRotateSecret(request -> request.secretId(secretArn));
    }

    public static SecretsManagerRotationEvent event(Step step, String secretArn, String token) {
        SecretsManagerRotationEvent event = new SecretsManagerRotationEvent();
        event.setStep(step.eventName());
        event.setSecretId(secretArn);
        event.setClientRequestToken(token);
        return event;
    }

    /** Each version's staging labels. */
    public Map<String, List<String>> versions(String secretArn) {
        return client.describeSecret(request -> request.secretId(secretArn)).versionIdsToStages();
    }

    /** The id of the version staged {@code stage}. */
    public String versionAt(String secretArn, Stage stage) {
        return client.getSecretValue(request -> request.secretId(secretArn).versionStage(stage.name())).versionId();
    }

    /** The value staged {@code stage} (asked for by label: see {@code SecretStore}). */
    public String valueAt(String secretArn, Stage stage) {
        return client.getSecretValue(request -> request.secretId(secretArn).versionStage(stage.name())).secretString();
    }

    public String valueOf(String secretArn, String versionId) {
        return client.getSecretValue(request -> request.secretId(secretArn).versionId(versionId)).secretString();
    }
}
