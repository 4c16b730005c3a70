package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;

/**
 * Body of renew and revoke.
 *
 * @param increment requested extension in seconds (renew only); the backend may grant less
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LeaseRequest(@NotBlank @Size(max = 512) String leaseId, @Positive @Max(31_536_000) Long increment) {
    /** A lease id is a bearer handle for renew and revoke. */
    @Override
    public String toString() {
        return "LeaseRequest[leaseId=(masked), increment=" + increment + "]";
    }
}
