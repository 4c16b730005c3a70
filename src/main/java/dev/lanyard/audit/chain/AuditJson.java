package dev.lanyard.audit.chain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;

/** The strict JSON reading and writing behind the export and checkpoint lines. Plain Jackson, no Quarkus. */
final class AuditJson {

    /**
     * Duplicate keys and trailing content are refused: two {@code "path"} keys could be read differently by another
     * verifier, so a line means one thing or is malformed.
     */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private AuditJson() {
    }

    static ObjectNode object(String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return (ObjectNode) node;
    }

    static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode field(ObjectNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing \"" + name + "\"");
        }
        return value;
    }

    static long longField(ObjectNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException("\"" + name + "\" is not an integer");
        }
        return value.longValue();
    }

    static int intField(ObjectNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException("\"" + name + "\" is not a 32-bit integer");
        }
        return value.intValue();
    }

    static Integer intOrNull(ObjectNode node, String name) {
        return field(node, name).isNull() ? null : intField(node, name);
    }

    static String text(ObjectNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isTextual()) {
            throw new IllegalArgumentException("\"" + name + "\" is not a string");
        }
        return value.textValue();
    }

    static String textOrNull(ObjectNode node, String name) {
        JsonNode value = field(node, name);
        if (value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("\"" + name + "\" is neither a string nor null");
        }
        return value.textValue();
    }

    /** 64 lower-case hex digits, as the export and checkpoint lines write hashes. */
    static byte[] hash(ObjectNode node, String name) {
        String hex = text(node, name);
        if (!hex.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("\"" + name + "\" is not 64 lower-case hex digits");
        }
        return HexFormat.of().parseHex(hex);
    }
}
