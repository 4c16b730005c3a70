package dev.lanyard.support;

/**
 * Percent-escapes in a request path that stand for characters a secret path may hold as they are. Vault's clients
 * escape more than they must (hvac quotes {@code @ : = +} in every path segment), so the Vault-compatible API decodes
 * those, once, before the path meets the same rules as the native API's. Any other escape — an encoded slash, percent
 * sign, space, dot-dot — is not decoded but refused: decoding it would let one path be read two ways.
 */
public final class PathEscapes {

    /** The characters a secret path may hold besides ASCII letters and digits (see {@code secret.SecretPath}). */
    private static final String PUNCTUATION = "_-.@:=+";

    private PathEscapes() {}

    /**
     * {@code rawPath} with every escape of a secret-path character decoded; null when it holds an escape of anything
     * else, or a {@code %} that is not followed by two hex digits.
     */
    public static String decodeSecretPathEscapes(String rawPath) {
        if (rawPath.indexOf('%') < 0) {
            return rawPath;
        }
        StringBuilder decoded = new StringBuilder(rawPath.length());
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            if (i + 2 >= rawPath.length()) {
                return null;
            }
            int high = Character.digit(rawPath.charAt(i + 1), 16);
            int low = Character.digit(rawPath.charAt(i + 2), 16);
            if (high < 0 || low < 0) {
                return null;
            }
            char escaped = (char) (high * 16 + low);
            if (!isSecretPathCharacter(escaped)) {
                return null;
            }
            decoded.append(escaped);
            i += 2;
        }
        return decoded.toString();
    }

    private static boolean isSecretPathCharacter(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || PUNCTUATION.indexOf(c) >= 0;
    }
}
