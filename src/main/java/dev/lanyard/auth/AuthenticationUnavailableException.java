package dev.lanyard.auth;

/**
 * Callers cannot be verified right now (the cluster's signing keys or the token store cannot be reached). Nothing
 * about the caller is known, so this is a 503, never a 401; the message names what is missing, never a token.
 */
public final class AuthenticationUnavailableException extends RuntimeException {
    public AuthenticationUnavailableException(String reason) {
        super(reason, null, false, false);
    }
}
