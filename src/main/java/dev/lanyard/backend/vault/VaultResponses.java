package dev.lanyard.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.SecretValue;
import io.github.jopenlibs.vault.response.VaultResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading Vault's JSON answers. */
final class VaultResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private VaultResponses() {}

    static JsonNode parse(VaultResponse response) throws IOException {
        byte[] body = response.getRestResponse().getBody();
        return body == null || body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    }

    /** Field values as text: strings as they are, anything else (numbers, objects) as its JSON. */
    static Map<String, String> fieldMap(JsonNode data) {
        Map<String, String> fields = new LinkedHashMap<>();
        data.properties().forEach(e -> fields.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        return fields;
    }

    static SecretValue fields(JsonNode data) {
        return SecretValue.ofStrings(fieldMap(data));
    }
}
