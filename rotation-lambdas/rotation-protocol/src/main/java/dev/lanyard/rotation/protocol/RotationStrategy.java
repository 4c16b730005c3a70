package dev.lanyard.rotation.protocol;

/**
 * What one kind of secret does in the steps the protocol leaves to it. The protocol has already checked, before
 * any of these is called, that rotation is enabled and that the rotation's token is the secret's AWSPENDING
 * version; it does createSecret's bookkeeping and all of finishSecret itself. Each method must be safe to call
 * again after it succeeded or failed half-way, because Secrets Manager retries steps.
 */
public interface RotationStrategy {

    /**
     * createSecret: the value to stage AWSPENDING, made from the AWSCURRENT value (a new password in the same
     * JSON, say). Called only while the pending version has no value, so a retried createSecret never makes a
     * second one.
     */
    String newPendingValue(Rotation rotation, String currentValue);

    /** setSecret: make the service the secret belongs to accept the pending value, if it does not already. */
    void setSecret(Rotation rotation);

    /** testSecret: prove the pending value works in that service; throw if it does not. */
    void testSecret(Rotation rotation);
}
