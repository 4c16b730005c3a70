package dev.lanyard.k8s;

import dev.lanyard.k8s.ExternalSecretSpec.CreationPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.DeletionPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.Template;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The Secrets the controller writes, by server-side apply under a field manager per resource, so two resources
 * merging keys into one Secret never take each other's keys away. What it applies depends on the creation policy:
 * Owner writes the whole Secret with Lanyard's ownership marks, Orphan and Merge only the keys they manage.
 */
final class TargetSecrets {

    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String LANYARD = "lanyard";
    /** On a Secret Lanyard owns: the ExternalSecret (same namespace) it belongs to. */
    static final String OWNER = "lanyard.dev/external-secret";
    /** On a Secret Lanyard owns: the HMAC of the data it wrote, so a hand edit shows without a status lookup. */
    static final String DATA_HMAC = "lanyard.dev/data-hmac";

    private final KubernetesClient client;
    private final LeaderTerm term;

    /** @param term asked before every write: a term that ended writes nothing */
    TargetSecrets(KubernetesClient client, LeaderTerm term) {
        this.client = client;
        this.term = term;
    }

    Secret current(ExternalSecret resource) {
        return client.secrets().inNamespace(resource.getMetadata().getNamespace()).withName(resource.secretName()).get();
    }

    /** Whether the Secret carries this resource's ownership marks (which templates may not forge: the CRD refuses them). */
    static boolean ownedBy(Secret secret, ExternalSecret resource) {
        ObjectMeta meta = secret.getMetadata();
        return meta.getLabels() != null && LANYARD.equals(meta.getLabels().get(MANAGED_BY))
                && meta.getAnnotations() != null && resource.getMetadata().getName().equals(meta.getAnnotations().get(OWNER));
    }

    /** The Secret's data as bytes: all of it, or only the given keys. */
    static Map<String, byte[]> data(Secret secret, Set<String> onlyKeys) {
        Map<String, byte[]> data = new TreeMap<>();
        if (secret.getData() != null) {
            secret.getData().forEach((key, value) -> {
                if (onlyKeys == null || onlyKeys.contains(key)) {
                    data.put(key, Base64.getDecoder().decode(value));
                }
            });
        }
        if (secret.getStringData() != null) {
            secret.getStringData().forEach((key, value) -> {
                if (onlyKeys == null || onlyKeys.contains(key)) {
                    data.put(key, value.getBytes(StandardCharsets.UTF_8));
                }
            });
        }
        return data;
    }

    /**
     * Applies the data. For Owner the Secret then holds exactly these keys: keys someone added by hand are removed
     * too, since a Secret Lanyard owns is Lanyard's alone.
     *
     * <p>An update carries the resource version of the Secret the reconcile read ({@code existing}): the API server
     * refuses it if anyone wrote the Secret since. That is the fence for a write already on its way when this
     * replica's term ended (a request held up by the network lands later, after the next leader wrote): it is refused
     * rather than applied over newer data. The leader that wrote last refreshes anyway; a replica whose term still
     * holds reads the Secret again and applies once more.
     *
     * @param existing the Secret as this reconcile saw it, or {@code null} when it did not exist
     */
    Secret apply(ExternalSecret resource, Secret existing, Map<String, byte[]> data, String dataHmac) {
        try {
            return apply(resource, existing == null ? null : existing.getMetadata().getResourceVersion(), data, dataHmac);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 || existing == null) {
                throw e;
            }
            Secret current = current(resource);
            return apply(resource, current == null ? null : current.getMetadata().getResourceVersion(), data, dataHmac);
        }
    }

    private Secret apply(ExternalSecret resource, String resourceVersion, Map<String, byte[]> data, String dataHmac) {
        ExternalSecretSpec spec = resource.getSpec();
        CreationPolicy policy = spec.creation();
        SecretBuilder desired = new SecretBuilder().withNewMetadata()
                .withName(resource.secretName()).withNamespace(resource.getMetadata().getNamespace())
                .withResourceVersion(resourceVersion).endMetadata();
        Map<String, String> encoded = new LinkedHashMap<>();
        data.forEach((key, value) -> encoded.put(key, Base64.getEncoder().encodeToString(value)));
        desired.withData(encoded);
        if (policy == CreationPolicy.Owner) {
            Template template = spec.template();
            Map<String, String> labels = new HashMap<>();
            Map<String, String> annotations = new HashMap<>();
            if (template != null && template.metadata() != null) {
                if (template.metadata().labels() != null) {
                    labels.putAll(template.metadata().labels());
                }
                if (template.metadata().annotations() != null) {
                    annotations.putAll(template.metadata().annotations());
                }
            }
            labels.put(MANAGED_BY, LANYARD);
            annotations.put(OWNER, resource.getMetadata().getName());
            annotations.put(DATA_HMAC, dataHmac);
            desired.editMetadata().withLabels(labels).withAnnotations(annotations).endMetadata();
            desired.withType(template != null && template.type() != null ? template.type() : "Opaque");
            if (spec.immutable()) {
                desired.withImmutable(true);
            }
            if (spec.deletion() == DeletionPolicy.Delete) {
                desired.editMetadata().withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(resource.getApiVersion()).withKind(resource.getKind())
                        .withName(resource.getMetadata().getName()).withUid(resource.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build()).endMetadata();
            }
        } else if (policy == CreationPolicy.Orphan) {
            Template template = spec.template();
            if (template != null && template.type() != null) {
                desired.withType(template.type());
            }
        }
        term.check();
        Secret applied = client.secrets().inNamespace(resource.getMetadata().getNamespace()).resource(desired.build())
                .fieldManager(fieldManager(resource)).forceConflicts().serverSideApply();
        if (policy == CreationPolicy.Owner && applied.getData() != null && !data.keySet().containsAll(applied.getData().keySet())) {
            Set<String> strays = new TreeSet<>(applied.getData().keySet());
            strays.removeAll(data.keySet());
            applied = removeKeys(applied, strays);
        }
        return applied;
    }

    /** Deletes the Secret, which must be one this resource owns (notFoundPolicy Delete, creationPolicy Owner). */
    void delete(ExternalSecret resource) {
        term.check();
        client.secrets().inNamespace(resource.getMetadata().getNamespace()).withName(resource.secretName()).delete();
    }

    private Secret removeKeys(Secret secret, Set<String> keys) {
        StringBuilder patch = new StringBuilder("{\"data\":{");
        String separator = "";
        for (String key : keys) {
            // Secret keys are [-._a-zA-Z0-9]+: nothing to escape
            patch.append(separator).append('"').append(key).append("\":null");
            separator = ",";
        }
        patch.append("}}");
        term.check();
        return client.secrets().inNamespace(secret.getMetadata().getNamespace()).withName(secret.getMetadata().getName())
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }

    /** One field manager per resource (at most 128 characters, as the API server allows). */
    static String fieldManager(ExternalSecret resource) {
        String manager = "lanyard.dev/" + resource.getMetadata().getName();
        return manager.length() <= 128 ? manager : manager.substring(0, 128);
    }
}
