package dev.lanyard.rest;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Map;

/**
 * Body of a write: the fields of the new version, as Vault's KV {@code data}. Values are text; a binary value is
 * written base64-encoded like any other text. Lengths count characters (code points), as the OpenAPI document does.
 */
public record WriteRequest(
        @NotNull @Size(min = 1, max = MAX_FIELDS) Map<
                @NotBlank @Pattern(regexp = "(?s).{1," + MAX_NAME + "}", message = "must be at most " + MAX_NAME + " characters") String,
                @NotNull @Pattern(regexp = "(?s).{0," + MAX_VALUE + "}", message = "must be at most " + MAX_VALUE + " characters") String> data) {

    static final int MAX_FIELDS = 256;
    static final int MAX_NAME = 256;
    static final int MAX_VALUE = 65_536;

    /** Field names only: the values are the secret. */
    @Override
    public String toString() {
        return "WriteRequest[fields=" + (data == null ? "none" : data.keySet()) + "]";
    }
}
