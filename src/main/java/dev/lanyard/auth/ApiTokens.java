package dev.lanyard.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lanyard API tokens: {@code lyt_<id>_<secret>}. The id (public, 16 hex chars) finds the stored row; the secret
 * (256 random bits) is stored only as its SHA-256, which is safe for high-entropy tokens and cheap to check. Login
 * tokens ({@link LoginTokenService}) have the same shape with their own prefix, {@code lyl_}, so the two are never
 * looked up in each other's table.
 */
public final class ApiTokens {

    private static final String API = "lyt_";
    static final String LOGIN = "lyl_";
    private static final Pattern FORMAT = Pattern.compile("lyt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");
    private static final Pattern LOGIN_FORMAT = Pattern.compile("lyl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})");

    record Parsed(String id, String secret) {
        @Override
        public String toString() {
            return "Parsed[id=" + id + ", secret=(masked)]";
        }
    }

    private ApiTokens() {}

    /** A new random token string. */
    public static String generate(SecureRandom random) {
        return generate(API, random);
    }

    /** A new random login token string. */
    static String generateLogin(SecureRandom random) {
        return generate(LOGIN, random);
    }

    private static String generate(String prefix, SecureRandom random) {
        byte[] id = new byte[8];
        byte[] secret = new byte[32];
        random.nextBytes(id);
        random.nextBytes(secret);
        return prefix + HexFormat.of().formatHex(id) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    static Optional<Parsed> parse(String token) {
        return parse(FORMAT, token);
    }

    static Optional<Parsed> parseLogin(String token) {
        return parse(LOGIN_FORMAT, token);
    }

    private static Optional<Parsed> parse(Pattern format, String token) {
        Matcher m = format.matcher(token);
        return m.matches() ? Optional.of(new Parsed(m.group(1), m.group(2))) : Optional.empty();
    }

    static byte[] hash(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean matches(String secret, byte[] storedHash) {
        return MessageDigest.isEqual(hash(secret), storedHash);
    }
}
