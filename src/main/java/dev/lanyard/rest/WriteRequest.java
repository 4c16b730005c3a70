package dev.lanyard.rest;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.Map;

/**
 * Body of a write: the fields of the new version, as Vault's KV {@code data}. Values are text; a binary value is
 * written base64-encoded like any other text.
 */
public record WriteRequest(
        @NotNull @Size(min = 1, max = 256) Map<@NotBlank @Size(max = 256) String, @NotNull @Size(max = 65_536) String> data) {

    /** Field names only: the values are the secret. */
    @Override
    public String toString() {
        return "WriteRequest[fields=" + (data == null ? "none" : data.keySet()) + "]";
    }
}
