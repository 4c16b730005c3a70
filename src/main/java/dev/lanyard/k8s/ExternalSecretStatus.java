package dev.lanyard.k8s;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** What the controller last did, as the CRD's status schema spells it. Never holds a value. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExternalSecretStatus(
        Long observedGeneration,
        String secretName,
        String syncedAt,
        String dataHmac,
        Integer notFoundRefreshes,
        List<SyncedVersion> syncedVersions,
        List<Condition> conditions) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SyncedVersion(String backend, String path, String version) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Condition(String type, String status, String reason, String message, String lastTransitionTime,
                            Long observedGeneration) {}

    /** The Ready condition, if any. */
    Condition ready() {
        return conditions == null ? null : conditions.stream().filter(c -> "Ready".equals(c.type())).findFirst().orElse(null);
    }

    String reason() {
        Condition ready = ready();
        return ready == null ? null : ready.reason();
    }
}
