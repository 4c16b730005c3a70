package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributes;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceAttributesBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The controller's RBAC in k8s-external-secrets/rbac/, bound to its ServiceAccount on a real API server with
 * RBAC authorization: the ServiceAccount's token can do exactly what the controller needs and nothing else.
 */
class ControllerRbacIT {

        private static final String CONTROLLER_NAMESPACE = "lanyard";
    private static final String SERVED = "payments";
    private static final String OTHER = "billing";
    private static final String LEASE = "lanyard-external-secrets";
    private static final List<String> VERBS = List.of("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection");

    private static KubeApiServer kube;
    private static KubernetesClient admin;
    private static KubernetesClient controller;

    @BeforeAll
    static void installCrdAndRbac() {
        kube = KubeApiServer.start();
        admin = kube.adminClient();
        kube.apply(ExternalSecrets.CRD);
        for (String namespace : List.of(CONTROLLER_NAMESPACE, SERVED, OTHER)) {
            kube.createNamespace(namespace);
        }
        kube.apply(ExternalSecrets.RBAC.resolve("controller.yaml"));
        kube.apply(ExternalSecrets.RBAC.resolve("one-namespace.yaml"));
        controller = kube.serviceAccountClient(CONTROLLER_NAMESPACE, "lanyard");
        for (String namespace : List.of(SERVED, OTHER)) {
            admin.resource(ExternalSecrets.valid("orders")).inNamespace(namespace).create();
            admin.apps().deployments().inNamespace(namespace).resource(deployment("orders").build()).create();
        }
    }

    @AfterAll
    static void stopApiServer() {
        if (kube != null) {
            kube.close();
        }
    }

    /** Everything the controller may do in a namespace it serves, and nothing more. */
    private static Set<String> grantsInAServedNamespace(String namespace) {
        Set<String> grants = new TreeSet<>();
        for (String verb : List.of("get", "list", "watch")) {
            grants.add(access(verb, "lanyard.dev", "externalsecrets", "", namespace));
        }
        grants.add(access("update", "lanyard.dev", "externalsecrets", "status", namespace));
        grants.add(access("patch", "lanyard.dev", "externalsecrets", "status", namespace));
        grants.add(access("update", "lanyard.dev", "externalsecrets", "finalizers", namespace));
        for (String verb : List.of("get", "list", "watch", "create", "update", "patch", "delete")) {
            grants.add(access(verb, "", "secrets", "", namespace));
        }
        for (String workload : List.of("deployments", "statefulsets", "daemonsets")) {
            grants.add(access("get", "apps", workload, "", namespace));
            grants.add(access("patch", "apps", workload, "", namespace));
        }
        grants.add(access("create", "", "events", "", namespace));
        grants.add(access("patch", "", "events", "", namespace));
        return grants;
    }

    /** What the probes ask about: the resources the controller uses, and neighbours it must not touch. */
    private static List<ResourceAttributes> probes(String namespace) {
        List<String[]> resources = List.of(
                new String[] {"lanyard.dev", "externalsecrets", ""},
                new String[] {"lanyard.dev", "externalsecrets", "status"},
                new String[] {"lanyard.dev", "externalsecrets", "finalizers"},
                new String[] {"", "secrets", ""},
                new String[] {"", "configmaps", ""},
                new String[] {"", "pods", ""},
                new String[] {"", "pods", "exec"},
                new String[] {"", "serviceaccounts", ""},
                new String[] {"", "serviceaccounts", "token"},
                new String[] {"", "events", ""},
                new String[] {"events.k8s.io", "events", ""},
                new String[] {"apps", "deployments", ""},
                new String[] {"apps", "deployments", "scale"},
                new String[] {"apps", "statefulsets", ""},
                new String[] {"apps", "daemonsets", ""},
                new String[] {"apps", "replicasets", ""},
                new String[] {"coordination.k8s.io", "leases", ""},
                new String[] {"rbac.authorization.k8s.io", "roles", ""},
                new String[] {"rbac.authorization.k8s.io", "rolebindings", ""});
        List<ResourceAttributes> probes = new ArrayList<>();
        for (String[] resource : resources) {
            for (String verb : VERBS) {
                probes.add(new ResourceAttributesBuilder().withVerb(verb).withGroup(resource[0]).withResource(resource[1])
                        .withSubresource(resource[2]).withNamespace(namespace).build());
            }
        }
        return probes;
    }

    private static List<ResourceAttributes> clusterProbes() {
        List<ResourceAttributes> probes = new ArrayList<>();
        for (String[] resource : List.of(
                new String[] {"apiextensions.k8s.io", "customresourcedefinitions"},
                new String[] {"", "namespaces"},
                new String[] {"", "nodes"},
                new String[] {"rbac.authorization.k8s.io", "clusterroles"},
                new String[] {"rbac.authorization.k8s.io", "clusterrolebindings"},
                new String[] {"admissionregistration.k8s.io", "validatingadmissionpolicies"})) {
            for (String verb : VERBS) {
                probes.add(new ResourceAttributesBuilder().withVerb(verb).withGroup(resource[0]).withResource(resource[1]).build());
            }
        }
        probes.add(new ResourceAttributesBuilder().withVerb("escalate").withGroup("rbac.authorization.k8s.io").withResource("clusterroles").build());
        probes.add(new ResourceAttributesBuilder().withVerb("bind").withGroup("rbac.authorization.k8s.io").withResource("clusterroles").build());
        probes.add(new ResourceAttributesBuilder().withVerb("impersonate").withGroup("").withResource("serviceaccounts").build());
        probes.add(new ResourceAttributesBuilder().withVerb("impersonate").withGroup("").withResource("users").build());
        return probes;
    }

    private static List<ResourceAttributes> leaseProbes() {
        List<ResourceAttributes> probes = new ArrayList<>();
        for (String name : List.of(LEASE, "someone-elses-lease", "")) {
            // a create request carries no name to authorize, so only the unnamed probe asks about it
            for (String verb : name.isEmpty() ? VERBS : VERBS.stream().filter(v -> !v.equals("create")).toList()) {
                probes.add(new ResourceAttributesBuilder().withVerb(verb).withGroup("coordination.k8s.io").withResource("leases")
                        .withNamespace(CONTROLLER_NAMESPACE).withName(name).build());
            }
        }
        return probes;
    }

    @Test
    void boundToOneNamespaceTheControllerCanDoExactlyItsJobThereAndNothingElsewhere() {
        admin.rbac().clusterRoleBindings().withName("lanyard-external-secrets").delete();
        awaitAllowed(false, listSecrets(OTHER));
        awaitAllowed(true, listSecrets(SERVED));

        assertThat(allowed(probes(SERVED))).containsExactlyElementsOf(grantsInAServedNamespace(SERVED));
        assertThat(allowed(probes(OTHER))).isEmpty();
        assertThat(allowed(probes(""))).as("nothing across all namespaces").isEmpty();
        assertThat(allowed(clusterProbes())).isEmpty();
        assertThat(allowed(leaseProbes())).containsExactly(
                access("create", "coordination.k8s.io", "leases", "", CONTROLLER_NAMESPACE),
                access("get", "coordination.k8s.io", "leases", "", CONTROLLER_NAMESPACE) + " " + LEASE,
                access("patch", "coordination.k8s.io", "leases", "", CONTROLLER_NAMESPACE) + " " + LEASE,
                access("update", "coordination.k8s.io", "leases", "", CONTROLLER_NAMESPACE) + " " + LEASE);

        assertThat(controller.secrets().inNamespace(SERVED).list().getItems()).isNotNull();
        assertForbidden(() -> controller.secrets().inNamespace(OTHER).list());
        assertForbidden(() -> ExternalSecrets.of(controller)
                .inAnyNamespace().list());
    }

    @Test
    void boundToAllNamespacesTheControllerStillCannotStepOutsideItsJob() {
        kube.apply(ExternalSecrets.RBAC.resolve("all-namespaces.yaml"));
        awaitAllowed(true, listSecrets(OTHER));

        assertThat(allowed(probes(OTHER))).containsExactlyElementsOf(grantsInAServedNamespace(OTHER));
        assertThat(allowed(probes(""))).containsExactlyElementsOf(grantsInAServedNamespace(""));
        assertThat(allowed(clusterProbes())).isEmpty();

        // what the controller does, for real
        var externalSecrets = ExternalSecrets.of(controller);
        assertThat(externalSecrets.inAnyNamespace().list().getItems()).extracting(r -> r.getMetadata().getNamespace())
                .contains(SERVED, OTHER);
        var orders = externalSecrets.inNamespace(OTHER).withName("orders");
        GenericKubernetesResource withStatus = orders.subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\": {\"observedGeneration\": 1, \"secretName\": \"orders\"}}");
        Map<String, Object> status = withStatus.get("status");
        assertThat(status).containsEntry("secretName", "orders");

        var secret = controller.secrets().inNamespace(OTHER).resource(new SecretBuilder().withNewMetadata().withName("orders")
                .addToLabels("app.kubernetes.io/managed-by", "lanyard").endMetadata().addToStringData("k", "v").build());
        assertThat(secret.fieldManager("lanyard").forceConflicts().serverSideApply().getMetadata().getManagedFields())
                .anySatisfy(field -> assertThat(field.getManager()).isEqualTo("lanyard"));
        assertThat(controller.secrets().inNamespace(OTHER).withLabel("app.kubernetes.io/managed-by", "lanyard").list().getItems())
                .hasSize(1);
        assertThat(secret.delete()).isNotEmpty();

        controller.apps().deployments().inNamespace(OTHER).withName("orders").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\": {\"template\": {\"metadata\": {\"annotations\": {\"lanyard.dev/restarted-for\": \"abc\"}}}}}");
        assertThat(admin.apps().deployments().inNamespace(OTHER).withName("orders").get().getSpec().getTemplate().getMetadata()
                .getAnnotations()).containsEntry("lanyard.dev/restarted-for", "abc");

        Lease lease = controller.leases().inNamespace(CONTROLLER_NAMESPACE).resource(new LeaseBuilder().withNewMetadata()
                .withName(LEASE).endMetadata().withNewSpec().withHolderIdentity("replica-1").withLeaseDurationSeconds(15).endSpec().build())
                .create();
        lease.getSpec().setHolderIdentity("replica-2");
        assertThat(controller.leases().inNamespace(CONTROLLER_NAMESPACE).resource(lease).update().getSpec().getHolderIdentity())
                .isEqualTo("replica-2");

        // what it must not do
        assertForbidden(() -> controller.resource(ExternalSecrets.valid("forged")).inNamespace(OTHER).create());
        assertForbidden(() -> orders.delete());
        assertForbidden(() -> orders.patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\": {\"serviceAccountName\": \"admin\"}}"));
        assertForbidden(() -> controller.apps().deployments().inNamespace(OTHER).resource(deployment("miner").build()).create());
        assertForbidden(() -> controller.apps().deployments().inNamespace(OTHER).withName("orders").delete());
        assertForbidden(() -> controller.configMaps().inNamespace(OTHER).resource(new ConfigMapBuilder().withNewMetadata()
                .withName("x").endMetadata().build()).create());
        assertForbidden(() -> controller.apiextensions().v1().customResourceDefinitions().withName(ExternalSecrets.CRD_NAME).delete());
        assertForbidden(() -> controller.serviceAccounts().inNamespace(OTHER).withName("default").tokenRequest(
                new TokenRequestBuilder().withNewSpec().endSpec().build()));
        assertForbidden(() -> controller.leases().inNamespace(OTHER).resource(new LeaseBuilder().withNewMetadata()
                .withName(LEASE).endMetadata().withNewSpec().endSpec().build()).create());
        assertForbidden(() -> controller.rbac().clusterRoleBindings().withName("lanyard-external-secrets").delete());
        assertThatCode(() -> admin.apiextensions().v1().customResourceDefinitions().withName(ExternalSecrets.CRD_NAME).get())
                .doesNotThrowAnyException();
    }

    private static Set<String> allowed(List<ResourceAttributes> probes) {
        Set<String> allowed = new TreeSet<>();
        for (ResourceAttributes probe : probes) {
            if (canI(probe)) {
                String described = access(probe.getVerb(), probe.getGroup(), probe.getResource(), probe.getSubresource(), probe.getNamespace());
                allowed.add(probe.getName() == null || probe.getName().isEmpty() ? described : described + " " + probe.getName());
            }
        }
        return allowed;
    }

    private static boolean canI(ResourceAttributes attributes) {
        return controller.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder()
                .withNewSpec().withResourceAttributes(attributes).endSpec().build()).getStatus().getAllowed();
    }

    private static String access(String verb, String group, String resource, String subresource, String namespace) {
        String what = (group.isEmpty() ? "core" : group) + "/" + resource + (subresource == null || subresource.isEmpty() ? "" : "/" + subresource);
        return verb + " " + what + " in " + (namespace == null || namespace.isEmpty() ? "*" : namespace);
    }

    private static ResourceAttributes listSecrets(String namespace) {
        return new ResourceAttributesBuilder().withVerb("list").withGroup("").withResource("secrets").withNamespace(namespace).build();
    }

    /** RBAC changes reach the authorizer through a watch: wait until the probe answers as expected. */
    private static void awaitAllowed(boolean expected, ResourceAttributes probe) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (canI(probe) != expected) {
            assertThat(System.nanoTime()).as(probe + " should become " + expected).isLessThan(deadline);
            KubeApiServer.pause(50);
        }
    }

    private static DeploymentBuilder deployment(String name) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName(name).withImage("example.invalid/" + name + ":1").endContainer().endSpec()
                .endTemplate().endSpec();
    }

    private static void assertForbidden(Runnable call) {
        KubernetesClientException denied = catchThrowableOfType(KubernetesClientException.class, call::run);
        assertThat(denied).as("expected 403 Forbidden").isNotNull();
        assertThat(denied.getCode()).isEqualTo(403);
    }
}
