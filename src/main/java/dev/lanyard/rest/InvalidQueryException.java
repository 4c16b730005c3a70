package dev.lanyard.rest;

import dev.lanyard.access.Refusable;
import dev.lanyard.access.Refusal;

/** A query parameter that cannot be understood; the message names the parameter, never echoes its value. */
final class InvalidQueryException extends RuntimeException implements Refusable {
    InvalidQueryException(String message) {
        super(message, null, false, false);
    }

    @Override
    public Refusal refusal() {
        return Refusal.INVALID_QUERY;
    }
}
