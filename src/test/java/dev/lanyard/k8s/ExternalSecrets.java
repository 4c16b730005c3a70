package dev.lanyard.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.file.Path;

/** Lanyard's ExternalSecret as the tests see it: the manifests in k8s-external-secrets/ and a typed handle on the resources. */
public final class ExternalSecrets {

    /** The folder the controller and the tests install from; tests read these files, never copies. */
    public static final Path DIRECTORY = Path.of("k8s-external-secrets");
    public static final Path CRD = DIRECTORY.resolve("crd.yaml");
    public static final Path RBAC = DIRECTORY.resolve("rbac");
    public static final String CRD_NAME = "externalsecrets.lanyard.dev";
    public static final String API_VERSION = "lanyard.dev/v1alpha1";
    public static final String KIND = "ExternalSecret";

    private ExternalSecrets() {}

    /** The ExternalSecret resources, as the given client may see them. */
    public static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> of(
            KubernetesClient client) {
        return client.genericKubernetesResources(API_VERSION, KIND);
    }

    /** A small valid resource in YAML: one key from OpenBao, refreshed hourly, into a Secret of the same name. */
    public static String valid(String name) {
        return """
                apiVersion: lanyard.dev/v1alpha1
                kind: ExternalSecret
                metadata:
                  name: %s
                spec:
                  serviceAccountName: app
                  refreshInterval: 1h
                  target:
                    name: %s
                  data:
                    - secretKey: k
                      remoteRef: {backend: openbao, path: secret/app/db}
                """.formatted(name, name);
    }
}
