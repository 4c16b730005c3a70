package dev.lanyard.auth;

/** No live API token with that id (or none the caller may manage): answered 404 either way. */
public final class UnknownTokenException extends RuntimeException {
    public UnknownTokenException() {
        super("token not found", null, false, false);
    }
}
