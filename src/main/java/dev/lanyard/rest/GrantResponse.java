package dev.lanyard.rest;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.lanyard.broker.Grant;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A secret or credential as a client receives it. {@code ttl} is whole seconds left until {@code expires_at};
 * {@code stale} (present only when true) marks the last good value of a static secret, served because its backend
 * could not be reached: come back at {@code refresh_after}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GrantResponse(String backend, String path, Map<String, String> data, String version, String leaseId,
                            Boolean renewable, long ttl, Instant expiresAt, Instant refreshAfter, Boolean stale) {

    static GrantResponse of(Grant grant, Instant now) {
        var secret = grant.secret();
        return new GrantResponse(secret.ref().backend(), secret.ref().path().value(), secret.value().reveal(),
                secret.version().orElse(null), secret.lease().id().orElse(null),
                secret.lease().id().isPresent() ? secret.lease().renewable() : null,
                Math.max(0, Duration.between(now, grant.expiresAt()).toSeconds()), grant.expiresAt(), grant.refreshAfter(),
                grant.stale() ? Boolean.TRUE : null);
    }

    /** The values and the lease id are what the response exists to carry; a log line or error must never show them. */
    @Override
    public String toString() {
        return "GrantResponse[" + backend + "/" + path + ", fields=" + (data == null ? "[]" : data.keySet())
                + ", version=" + version + ", leaseId=" + (leaseId == null ? "none" : "(masked)") + ", expiresAt=" + expiresAt + "]";
    }
}
