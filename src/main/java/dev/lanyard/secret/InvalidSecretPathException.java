package dev.lanyard.secret;

/** A caller-supplied path that is not canonical. Its message never echoes the path itself. */
public final class InvalidSecretPathException extends IllegalArgumentException {
    public InvalidSecretPathException(String reason) {
        super(reason);
    }
}
