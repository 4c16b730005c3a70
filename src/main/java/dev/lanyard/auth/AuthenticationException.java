package dev.lanyard.auth;

/**
 * A bearer token that does not identify a caller. The reason is for Lanyard's own log at debug level and the
 * audit row; callers only ever see a generic 401 so that token probing learns nothing.
 */
public final class AuthenticationException extends RuntimeException {
    public AuthenticationException(String reason) {
        super(reason, null, false, false);
    }
}
