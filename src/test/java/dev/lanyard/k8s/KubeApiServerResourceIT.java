package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.support.SecretReference;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The properties the Quarkus test resource hands to the controller's client reach the server as the right identity. */
class KubeApiServerResourceIT {

    @Test
    void theControllerIdentityByDefaultAndTheAdministratorOnRequest() {
        assertThat(whoAmI(Map.of())).isEqualTo("system:serviceaccount:lanyard:lanyard");
        assertThat(whoAmI(Map.of("identity", "admin"))).isEqualTo("lanyard-test-admin");
    }

    private static String whoAmI(Map<String, String> initArgs) {
        KubeApiServerResource resource = new KubeApiServerResource();
        resource.init(initArgs);
        Map<String, String> properties = resource.start();
        try {
            assertThat(KubeApiServerResource.current().adminClient().apiextensions().v1().customResourceDefinitions()
                    .withName(ExternalSecrets.CRD_NAME).get()).isNotNull();
            Config config = new ConfigBuilder(Config.empty())
                    .withMasterUrl(properties.get("lanyard.k8s.cluster.api-server-url"))
                    .withOauthToken(SecretReference.parse(properties.get("lanyard.k8s.cluster.token")).resolve())
                    .withCaCertFile(properties.get("lanyard.k8s.cluster.ca-cert-file"))
                    .withNamespace(properties.get("lanyard.k8s.cluster.namespace"))
                    .build();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                SelfSubjectReview review = client.resource(new SelfSubjectReview()).create();
                return review.getStatus().getUserInfo().getUsername();
            }
        } finally {
            resource.stop();
        }
    }
}
