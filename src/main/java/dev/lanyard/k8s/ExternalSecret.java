package dev.lanyard.k8s;

import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;

/** Lanyard's ExternalSecret (k8s-external-secrets/crd.yaml, which is the schema: this class only reads it). */
@Group(ExternalSecret.GROUP)
@Version("v1alpha1")
@Kind("ExternalSecret")
@Plural("externalsecrets")
public class ExternalSecret extends CustomResource<ExternalSecretSpec, ExternalSecretStatus> implements Namespaced {

    public static final String GROUP = "lanyard.dev";

    /** The spec and status are immutable records, set as a whole: nothing to instantiate before they are read. */
    @Override
    protected ExternalSecretSpec initSpec() {
        return null;
    }

    @Override
    protected ExternalSecretStatus initStatus() {
        return null;
    }

    /** {@code namespace/name}, as Events, audit rows and metrics name the resource. */
    String key() {
        return getMetadata().getNamespace() + "/" + getMetadata().getName();
    }

    /** The Secret written: {@code spec.target.name}, or this resource's name. */
    String secretName() {
        ExternalSecretSpec.SecretTarget target = getSpec().target();
        return target != null && target.name() != null ? target.name() : getMetadata().getName();
    }
}
