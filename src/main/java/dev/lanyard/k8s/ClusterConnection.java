package dev.lanyard.k8s;

import dev.lanyard.support.SecretReference;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.kubernetes.client.KubernetesConfigCustomizer;
import jakarta.inject.Singleton;

/**
 * Points quarkus-kubernetes-client at the cluster named by {@code lanyard.k8s.cluster.*}, at run time. Applied only
 * when the client is first used, which only the enabled controller does.
 */
@Singleton
class ClusterConnection implements KubernetesConfigCustomizer {

    private final SyncConfig config;

    ClusterConnection(SyncConfig config) {
        this.config = config;
    }

    @Override
    public void customize(Config client) {
        SyncConfig.Cluster cluster = config.cluster();
        cluster.apiServerUrl().ifPresent(client::setMasterUrl);
        cluster.token().ifPresent(reference -> client.setOauthToken(SecretReference.parse(reference).resolve().strip()));
        cluster.caCertFile().ifPresent(file -> {
            client.setCaCertFile(file);
            client.setTrustCerts(false);
        });
        cluster.namespace().ifPresent(client::setNamespace);
    }
}
