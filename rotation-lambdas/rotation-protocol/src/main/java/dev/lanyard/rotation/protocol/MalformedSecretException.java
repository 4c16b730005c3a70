package dev.lanyard.rotation.protocol;

/**
 * A secret's value does not have the shape the function needs: where AWS's Python templates raise {@code KeyError}
 * (a required key is missing, the engine is wrong) or fail to parse JSON, these functions throw this. The message
 * never quotes the value, and no parser exception is kept as a cause, since parsers quote what they read.
 */
public class MalformedSecretException extends IllegalArgumentException {
    public MalformedSecretException(String message) {
        super(message);
    }
}
