package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;

/**
 * Body of renew and revoke.
 *
 * @param increment requested extension in seconds (renew only); the backend may grant less
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LeaseRequest(
        @NotBlank @Pattern(regexp = "(?s).{1," + MAX_LEASE_ID + "}", message = "must be at most " + MAX_LEASE_ID + " characters") String leaseId,
        @Positive @Max(MAX_INCREMENT) Long increment) {

    /** Characters (code points), as the OpenAPI document counts them. */
    static final int MAX_LEASE_ID = 512;
    static final long MAX_INCREMENT = 31_536_000;

    /** A lease id is a bearer handle for renew and revoke. */
    @Override
    public String toString() {
        return "LeaseRequest[leaseId=(masked), increment=" + increment + "]";
    }
}
