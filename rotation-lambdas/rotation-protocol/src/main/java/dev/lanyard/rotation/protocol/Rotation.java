package dev.lanyard.rotation.protocol;

/**
 * One invocation of a rotation function: which secret, which version (the event's {@code ClientRequestToken}, the
 * id of the version being rotated to), which step, and the Lambda request id the logs carry. {@code rotationToken}
 * is the event's {@code RotationToken}, which Secrets Manager wants back on PutSecretValue when it sends one; it
 * is never logged.
 */
public record Rotation(String secretId, String token, Step step, String requestId, String rotationToken) {

    @Override
    public String toString() {
        return "Rotation[" + step + " " + secretId + " version " + token + ", request " + requestId + "]";
    }
}
