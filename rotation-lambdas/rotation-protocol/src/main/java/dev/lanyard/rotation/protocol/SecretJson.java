package dev.lanyard.rotation.protocol;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Secret values that are JSON objects. Keys the function does not know are kept as they are, so rotating a secret
 * never drops what its owner stored beside the credentials.
 */
public final class SecretJson {
    private static final JSON JSON_CODEC = JSON.std;

    private SecretJson() {
    }

    /** The object in {@code value}; anything else (not JSON, or JSON that is not an object) is malformed. */
    public static Map<String, Object> parseObject(String value) {
        return tryParseObject(value)
                .orElseThrow(() -> new MalformedSecretException("The secret's value is not a JSON object"));
    }

    /** The object in {@code value}, or empty when {@code value} is not a JSON object. */
    public static Optional<Map<String, Object>> tryParseObject(String value) {
        if (value == null || !value.stripLeading().startsWith("{")) {
            return Optional.empty();
        }
        try {
            return Optional.of(new LinkedHashMap<>(JSON_CODEC.mapFrom(value)));
        } catch (IOException | RuntimeException e) {
            // The parser's message quotes the text around the error, which is the secret: drop it.
            return Optional.empty();
        }
    }

    public static String write(Map<String, ?> object) {
        try {
            return JSON_CODEC.asString(object);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write a JSON object", e);
        }
    }
}
