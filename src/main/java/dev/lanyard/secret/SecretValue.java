package dev.lanyard.secret;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The sensitive part of a secret: named fields whose bytes are zeroed on {@link #close()}.
 *
 * <p>{@link #toString()} never reveals a value, so a secret that ends up in a log line by mistake
 * shows only its field names. Absence of a field is an empty {@link Optional}.
 */
public final class SecretValue implements AutoCloseable {

    private final Map<String, byte[]> fields;
    private volatile boolean closed;

    private SecretValue(Map<String, byte[]> fields) {
        this.fields = fields;
    }

    /**
     * Copies the given fields, as text, into zeroable byte arrays; preserves field order.
     *
     * @throws IllegalArgumentException for a null field name or value, which no backend can store faithfully
     */
    public static SecretValue ofStrings(Map<String, ?> source) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        source.forEach((key, value) -> copy.put(checkedName(key), String.valueOf(checked(value)).getBytes(StandardCharsets.UTF_8)));
        return new SecretValue(copy);
    }

    /** @throws IllegalArgumentException for a null field name or value */
    public static SecretValue ofBytes(Map<String, byte[]> source) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        source.forEach((key, value) -> copy.put(checkedName(key), checked(value).clone()));
        return new SecretValue(copy);
    }

    private static String checkedName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("field names and values must not be null");
        }
        return name;
    }

    private static <T> T checked(T value) {
        if (value == null) {
            throw new IllegalArgumentException("field names and values must not be null");
        }
        return value;
    }

    public Set<String> fieldNames() {
        return Collections.unmodifiableSet(fields.keySet());
    }

    public Optional<String> field(String name) {
        checkOpen();
        byte[] bytes = fields.get(name);
        return bytes == null ? Optional.empty() : Optional.of(new String(bytes, StandardCharsets.UTF_8));
    }

    /** A plain map view for serialisation at the HTTP edge, the one place a value must become a String. */
    public Map<String, String> reveal() {
        checkOpen();
        Map<String, String> out = new LinkedHashMap<>();
        fields.forEach((key, value) -> out.put(key, new String(value, StandardCharsets.UTF_8)));
        return out;
    }

    /** Raw bytes of every field, copied: the caller owns (and should zero) them. */
    public Map<String, byte[]> copyBytes() {
        checkOpen();
        Map<String, byte[]> out = new LinkedHashMap<>();
        fields.forEach((key, value) -> out.put(key, value.clone()));
        return out;
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("secret value was closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        fields.values().forEach(bytes -> Arrays.fill(bytes, (byte) 0));
    }

    @Override
    public String toString() {
        return "SecretValue" + fields.keySet() + "(masked)";
    }
}
