package dev.lanyard.backend;

import dev.lanyard.secret.InvalidSecretPathException;

/**
 * Version ids of backends that number their versions 1, 2, 3, ... (Vault KV v2, the local store). Each such backend
 * parses the opaque id it is given here, so both refuse a malformed one the same way.
 */
public final class NumberedVersions {

    private NumberedVersions() {}

    /** The version number, or {@link InvalidSecretPathException} (a 400) when {@code id} is not a positive integer. */
    public static int parse(String id) {
        try {
            int number = Integer.parseInt(id);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidSecretPathException("version must be a positive integer");
    }
}
