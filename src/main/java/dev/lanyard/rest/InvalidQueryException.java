package dev.lanyard.rest;

/** A query parameter that cannot be understood; the message names the parameter, never echoes its value. */
final class InvalidQueryException extends RuntimeException {
    InvalidQueryException(String message) {
        super(message, null, false, false);
    }
}
