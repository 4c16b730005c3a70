package dev.lanyard.k8s;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What to read, as whom, into which Secret, and when to read it again. Field for field the CRD's spec; the API server
 * has applied its defaults and rules, so a value left null here is one the schema lets be absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExternalSecretSpec(
        String serviceAccountName,
        RefreshPolicy refreshPolicy,
        String refreshInterval,
        List<DataEntry> data,
        List<DataFrom> dataFrom,
        SecretTarget target,
        List<RestartTarget> rolloutRestartTargets) {

    public enum RefreshPolicy { Periodic, OnChange, CreatedOnce }

    public enum CreationPolicy { Owner, Orphan, Merge, None }

    public enum DeletionPolicy { Delete, Retain }

    /** What a confirmed "not found" does to the Secret (ESO's {@code deletionPolicy}); see the CRD. */
    public enum NotFoundPolicy { Retain, Merge, Delete }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DataEntry(String secretKey, RemoteRef remoteRef) {}

    /** One backend value: {@code property} picks one key of it, {@code version} pins a version. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RemoteRef(String backend, String path, String property, String version) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DataFrom(RemoteRef extract, Find find) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Find(String backend, String path, Map<String, String> name) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record SecretTarget(String name, CreationPolicy creationPolicy, DeletionPolicy deletionPolicy,
                               NotFoundPolicy notFoundPolicy, Boolean immutable, Template template) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Template(String type, TemplateMetadata metadata, Map<String, String> data) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TemplateMetadata(Map<String, String> labels, Map<String, String> annotations) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RestartTarget(String kind, String name) {}

    RefreshPolicy refresh() {
        return refreshPolicy == null ? RefreshPolicy.Periodic : refreshPolicy;
    }

    CreationPolicy creation() {
        return target == null || target.creationPolicy() == null ? CreationPolicy.Owner : target.creationPolicy();
    }

    DeletionPolicy deletion() {
        return target == null || target.deletionPolicy() == null ? DeletionPolicy.Retain : target.deletionPolicy();
    }

    NotFoundPolicy notFound() {
        return target == null || target.notFoundPolicy() == null ? NotFoundPolicy.Retain : target.notFoundPolicy();
    }

    boolean immutable() {
        return target != null && Boolean.TRUE.equals(target.immutable());
    }

    Template template() {
        return target == null ? null : target.template();
    }

    List<DataEntry> dataEntries() {
        return data == null ? List.of() : data;
    }

    List<DataFrom> dataFromEntries() {
        return dataFrom == null ? List.of() : dataFrom;
    }

    List<RestartTarget> restartTargets() {
        return rolloutRestartTargets == null ? List.of() : rolloutRestartTargets;
    }
}
