package dev.lanyard.backend.aws;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.SecretValue;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;

/**
 * A Secrets Manager value as Lanyard's named fields, and back:
 * <ul>
 *   <li>a {@code SecretString} holding a JSON object (what the console, rotation functions and Lanyard write) is one
 *       field per member: strings as they are, other members as their JSON text;</li>
 *   <li>any other {@code SecretString} is the single field {@value #PLAIN};</li>
 *   <li>a {@code SecretBinary} is the single field {@value #BINARY}, base64-encoded so it survives JSON answers.</li>
 * </ul>
 * Lanyard writes fields as a JSON object of strings, so a value it wrote reads back as the same fields.
 */
final class SecretFields {

    static final String PLAIN = "value";
    static final String BINARY = "binary";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SecretFields() {}

    static SecretValue of(GetSecretValueResponse response) {
        if (response.secretString() != null) {
            return ofString(response.secretString());
        }
        if (response.secretBinary() != null) {
            byte[] raw = response.secretBinary().asByteArray();
            byte[] encoded = Base64.getEncoder().encode(raw);
            Arrays.fill(raw, (byte) 0);
            try {
                return SecretValue.ofBytes(Map.of(BINARY, encoded));
            } finally {
                Arrays.fill(encoded, (byte) 0);
            }
        }
        return SecretValue.ofStrings(Map.of());
    }

    static SecretValue ofString(String secretString) {
        JsonNode parsed;
        try {
            parsed = JSON.readTree(secretString);
        } catch (JsonProcessingException e) {
            parsed = null;
        }
        if (parsed == null || !parsed.isObject()) {
            return SecretValue.ofStrings(Map.of(PLAIN, secretString));
        }
        Map<String, String> fields = new LinkedHashMap<>();
        parsed.properties().forEach(member -> fields.put(member.getKey(),
                member.getValue().isTextual() ? member.getValue().textValue() : member.getValue().toString()));
        return SecretValue.ofStrings(fields);
    }

    /** The {@code SecretString} Lanyard writes for {@code fields}: a JSON object of strings, in field order. */
    static String secretString(Map<String, String> fields) {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            // A map of strings always serialises; nothing of the value goes into the failure.
            throw new IllegalStateException("the fields could not be written as JSON");
        }
    }
}
