package dev.lanyard.audit.chain;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

/**
 * Canonical encoding, format versions {@value #LEGACY_FORMAT} and {@value #FORMAT}, and the hash chain over it
 * (docs/audit-chain.md). Pure Java: the offline verifier runs this class in a plain JVM.
 */
public final class CanonicalForm {

    /**
     * The canonical format this code writes; it is the first two bytes of every encoding. Format 3 adds
     * {@code credential_id} after {@code subject}, and its rows are sealed per batch ({@link Seal}).
     */
    public static final int FORMAT = 3;

    /** The format written before writer seals and credential ids: still read and verified, never written. */
    public static final int LEGACY_FORMAT = 2;

    /** {@code hash(0)}: the genesis anchor, 32 zero bytes. */
    public static final byte[] GENESIS = new byte[32];

    private static final byte[] NULL_TEXT = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final Pattern TIMESTAMP_SHAPE =
            Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z");
    private static final Instant FIRST = Instant.parse("0000-01-01T00:00:00Z");
    private static final Instant AFTER_LAST = Instant.parse("+10000-01-01T00:00:00Z");

    private CanonicalForm() {
    }

    /** Whether this code reads rows of {@code format}. */
    public static boolean readable(long format) {
        return format == FORMAT || format == LEGACY_FORMAT;
    }

    /** {@code canonical(event)} in the event's own format; its stored hash and seal are not part of it. */
    public static byte[] encode(ChainedEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(ByteBuffer.allocate(2).putShort((short) e.format()).array());
        out.writeBytes(ByteBuffer.allocate(8).putLong(e.seq()).array());
        text(out, timestamp(e.occurredAt()));
        text(out, e.requestId());
        text(out, e.actorKind());
        text(out, e.subject());
        if (e.format() == FORMAT) {
            text(out, e.credentialId());
        }
        text(out, e.operation());
        text(out, e.targetKind());
        text(out, e.backend());
        text(out, e.path());
        text(out, e.detail());
        text(out, e.version());
        text(out, e.leaseHmac());
        text(out, e.outcome());
        if (e.status() == null) {
            out.write(0);
        } else {
            out.write(1);
            out.writeBytes(ByteBuffer.allocate(4).putInt(e.status()).array());
        }
        text(out, e.errorCode());
        text(out, e.clientAddress());
        return out.toByteArray();
    }

    /** {@code SHA-256(previousHash || canonical)}. */
    public static byte[] chain(byte[] previousHash, byte[] canonical) {
        if (previousHash.length != 32) {
            throw new IllegalArgumentException("previous hash must be 32 bytes, was " + previousHash.length);
        }
        MessageDigest sha256 = sha256();
        sha256.update(previousHash);
        sha256.update(canonical);
        return sha256.digest();
    }

    /** UTC, ISO-8601, exactly six fractional digits, {@code Z}: {@code 2026-11-23T11:19:29.438123Z}. Truncates. */
    public static String timestamp(Instant instant) {
        if (instant.isBefore(FIRST) || !instant.isBefore(AFTER_LAST)) {
            throw new IllegalArgumentException("audit timestamps must fall in the years 0000-9999: " + instant);
        }
        return TIMESTAMP.format(truncate(instant));
    }

    /** Parses the exact form {@link #timestamp(Instant)} writes; anything else (fewer digits, offsets) is refused. */
    public static Instant parseTimestamp(String text) {
        if (text == null || !TIMESTAMP_SHAPE.matcher(text).matches()) {
            throw new IllegalArgumentException("not a six-digit UTC timestamp: " + text);
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a valid timestamp: " + text);
        }
    }

    /** Truncates (never rounds) to microseconds, PostgreSQL's {@code timestamptz} precision. */
    public static Instant truncate(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    private static void text(ByteArrayOutputStream out, String value) {
        if (value == null) {
            out.writeBytes(NULL_TEXT);
            return;
        }
        ByteBuffer utf8;
        try {
            // A strict encoder: String.getBytes would silently turn an unpaired surrogate into '?'.
            utf8 = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(value));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("text is not valid Unicode (unpaired surrogate)");
        }
        out.writeBytes(ByteBuffer.allocate(4).putInt(utf8.remaining()).array());
        byte[] bytes = new byte[utf8.remaining()];
        utf8.get(bytes);
        out.writeBytes(bytes);
    }
}
