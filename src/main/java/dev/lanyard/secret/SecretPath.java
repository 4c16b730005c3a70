package dev.lanyard.secret;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A validated path inside one backend, such as {@code database/creds/app} or {@code secret/payments/db}.
 *
 * <p>Construction rejects anything that could escape the addressed secret or be read two ways:
 * empty, {@code .} or {@code ..} segments, backslashes, percent signs (an encoded slash that slipped
 * past the HTTP layer) and control characters. Everything downstream can treat the path as canonical.
 */
public record SecretPath(String value) {

    private static final int MAX_LENGTH = 512;
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_\\-.@:=+]+");

    public SecretPath {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new InvalidSecretPathException("path must be 1 to " + MAX_LENGTH + " characters");
        }
        for (String segment : value.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new InvalidSecretPathException("path has an empty, '.' or '..' segment");
            }
            if (!SEGMENT.matcher(segment).matches()) {
                throw new InvalidSecretPathException("path has a character outside [A-Za-z0-9_-.@:=+/]");
            }
        }
    }

    public static SecretPath of(String value) {
        return new SecretPath(value);
    }

    /** The first segment: the mount in Vault terms. */
    public String mount() {
        int slash = value.indexOf('/');
        return slash < 0 ? value : value.substring(0, slash);
    }

    /** Everything after the mount, or the empty string. */
    public String withinMount() {
        int slash = value.indexOf('/');
        return slash < 0 ? "" : value.substring(slash + 1);
    }

    @Override
    public String toString() {
        return value;
    }
}
