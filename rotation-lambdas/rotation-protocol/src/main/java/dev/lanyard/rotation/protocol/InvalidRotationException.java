package dev.lanyard.rotation.protocol;

/**
 * The rotation cannot go on: where AWS's Python templates raise {@code ValueError}, these functions throw this, with
 * the same message (the secret is not enabled for rotation, the token is not a pending version of it, no
 * credentials log in). Messages name secrets, versions, users and hosts, never a secret value.
 */
public class InvalidRotationException extends IllegalArgumentException {
    public InvalidRotationException(String message) {
        super(message);
    }
}
