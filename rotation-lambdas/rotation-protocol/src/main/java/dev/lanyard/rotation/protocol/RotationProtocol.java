package dev.lanyard.rotation.protocol;

import com.amazonaws.services.lambda.runtime.events.SecretsManagerRotationEvent;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;

/**
 * The Secrets Manager rotation protocol, as AWS's rotation templates implement it. Each invocation first checks the
 * secret: rotation must be enabled, the token must be a version of the secret, and that version must be staged
 * AWSPENDING; a version already staged AWSCURRENT means the rotation is over, and the invocation does nothing.
 * Then it runs the step: createSecret stages a new value under the token unless it already has one, setSecret and
 * testSecret are the strategy's, and finishSecret moves AWSCURRENT to the token (Secrets Manager moves AWSPREVIOUS
 * to the version that loses AWSCURRENT). Errors carry the templates' messages.
 */
public final class RotationProtocol {
    private final SecretStore secrets;
    private final RotationStrategy strategy;
    private final RotationLog log;

    public RotationProtocol(SecretStore secrets, RotationStrategy strategy, RotationLog log) {
        this.secrets = secrets;
        this.strategy = strategy;
        this.log = log;
    }

    public void handle(SecretsManagerRotationEvent event, String requestId) {
        String secretId = required(event.getSecretId(), "SecretId");
        String token = required(event.getClientRequestToken(), "ClientRequestToken");
        String stepName = required(event.getStep(), "Step");
        Optional<Step> step = Step.fromEventName(stepName);
        Rotation rotation = new Rotation(secretId, token, step.orElse(null), requestId, event.getRotationToken());
        try {
            if (isAlreadyCurrent(rotation)) {
                return;
            }
            switch (step.orElseThrow(() -> new InvalidRotationException(
                    "Invalid step parameter %s for secret %s".formatted(stepName, secretId)))) {
                case CREATE_SECRET -> createSecret(rotation);
                case SET_SECRET -> strategy.setSecret(rotation);
                case TEST_SECRET -> strategy.testSecret(rotation);
                case FINISH_SECRET -> finishSecret(rotation);
            }
        } catch (RuntimeException e) {
            log.error(rotation, "Step failed" + safeMessage(e), errorFields(e));
            throw e;
        }
    }

    /** The checks every step starts with; true when the token is already AWSCURRENT, so there is nothing to do. */
    private boolean isAlreadyCurrent(Rotation rotation) {
        DescribeSecretResponse description = secrets.describe(rotation.secretId());
        // As in AWS's database templates: only an explicit false stops the rotation (DescribeSecret leaves the field
        // out for a secret that was never configured for rotation).
        if (Boolean.FALSE.equals(description.rotationEnabled())) {
            throw new InvalidRotationException("Secret %s is not enabled for rotation".formatted(rotation.secretId()));
        }
        Map<String, List<String>> versions = description.versionIdsToStages();
        List<String> stages = versions.get(rotation.token());
        if (stages == null) {
            throw new InvalidRotationException("Secret version %s has no stage for rotation of secret %s."
                    .formatted(rotation.token(), rotation.secretId()));
        }
        if (stages.contains(Stage.AWSCURRENT.name())) {
            log.info(rotation, "Secret version already set as AWSCURRENT; nothing to do");
            return true;
        }
        if (!stages.contains(Stage.AWSPENDING.name())) {
            throw new InvalidRotationException("Secret version %s not set as AWSPENDING for rotation of secret %s."
                    .formatted(rotation.token(), rotation.secretId()));
        }
        return false;
    }

    private void createSecret(Rotation rotation) {
        // The current value must exist: a secret with no AWSCURRENT cannot be rotated.
        String current = secrets.value(rotation.secretId(), Stage.AWSCURRENT);
        if (secrets.pendingValueIfPresent(rotation.secretId(), rotation.token()).isPresent()) {
            log.info(rotation, "createSecret: the pending version already has a value");
            return;
        }
        secrets.putPending(rotation, strategy.newPendingValue(rotation, current));
        log.info(rotation, "createSecret: put a new value staged AWSPENDING");
    }

    private void finishSecret(Rotation rotation) {
        String currentVersion = null;
        for (Map.Entry<String, List<String>> version : secrets.describe(rotation.secretId()).versionIdsToStages().entrySet()) {
            if (version.getValue().contains(Stage.AWSCURRENT.name())) {
                if (version.getKey().equals(rotation.token())) {
                    log.info(rotation, "finishSecret: version already marked as AWSCURRENT");
                    return;
                }
                currentVersion = version.getKey();
                break;
            }
        }
        secrets.moveCurrent(rotation.secretId(), rotation.token(), currentVersion);
        log.info(rotation, "finishSecret: moved AWSCURRENT to the pending version");
    }

    private static String required(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new InvalidRotationException("The event has no " + field);
        }
        return value;
    }

    // Only the protocol's own exceptions have messages that are safe by construction; others are logged by type.
    private static String safeMessage(RuntimeException e) {
        return e instanceof InvalidRotationException || e instanceof MalformedSecretException ? ": " + e.getMessage() : "";
    }

    private static Map<LogField, String> errorFields(RuntimeException e) {
        if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
            return Map.of(LogField.ERROR_TYPE, e.getClass().getName(),
                    LogField.ERROR_CODE, String.valueOf(service.awsErrorDetails().errorCode()));
        }
        return Map.of(LogField.ERROR_TYPE, e.getClass().getName());
    }
}
