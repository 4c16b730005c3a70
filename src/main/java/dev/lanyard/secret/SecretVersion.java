package dev.lanyard.secret;

/** Version ids of static secrets: positive integers (KV v2, the local store), given by callers as text. */
public final class SecretVersion {

    private SecretVersion() {}

    /** The version number, or {@link InvalidSecretPathException} (a 400) when the text is not a positive integer. */
    public static int parse(String version) {
        try {
            int number = Integer.parseInt(version);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new InvalidSecretPathException("version must be a positive integer");
    }
}
