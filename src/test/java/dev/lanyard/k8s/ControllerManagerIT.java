package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kube-controller-manager beside the API server, for what the ExternalSecret controller leaves to Kubernetes:
 * garbage collection of owned Secrets (deletionPolicy Delete), why deletionPolicy Retain cannot lean on the orphan
 * finalizer, and Deployments rolling out a new ReplicaSet when the controller's ServiceAccount patches the pod
 * template.
 */
class ControllerManagerIT {

    private static final String NAMESPACE = "payments";

    private static KubeApiServer kube;
    private static KubernetesClient admin;
    private static KubernetesClient controller;

    @BeforeAll
    static void startControlPlane() {
        kube = KubeApiServer.start();
        admin = kube.adminClient();
        kube.apply(ExternalSecrets.CRD);
        kube.createNamespace("lanyard");
        kube.createNamespace(NAMESPACE);
        kube.apply(ExternalSecrets.RBAC.resolve("controller.yaml"));
        kube.apply(ExternalSecrets.RBAC.resolve("all-namespaces.yaml"));
        controller = kube.serviceAccountClient("lanyard", "lanyard");
        long started = System.nanoTime();
        KubeControllerManager manager = kube.startControllerManager(EnumSet.of(
                KubeController.GARBAGE_COLLECTOR, KubeController.DEPLOYMENT, KubeController.REPLICA_SET));
        System.out.printf("kube-controller-manager healthy in %d ms running %s%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), manager.controllers());
    }

    @AfterAll
    static void stopControlPlane() {
        if (kube != null) {
            kube.close();
        }
    }

    @Test
    void anOwnedSecretGoesWithItsExternalSecret() {
        GenericKubernetesResource owner = externalSecret("deleted-with-owner");
        ownedSecret(owner);

        externalSecrets().withName(owner.getMetadata().getName()).delete();

        admin.secrets().inNamespace(NAMESPACE).withName(owner.getMetadata().getName())
                .waitUntilCondition(secret -> secret == null, 60, TimeUnit.SECONDS);
    }

    /**
     * Why deletionPolicy Retain puts no owner reference on the Secret instead of relying on the "orphan"
     * finalizer: a delete that names a propagation policy, as kubectl's does (Background), overrides the
     * finalizer, and the garbage collector deletes the Secret anyway.
     */
    @Test
    void theOrphanFinalizerDoesNotSurviveKubectlsDelete() {
        GenericKubernetesResource owner = externalSecret("finalizer-overridden");
        ownedSecret(owner);
        externalSecrets().withName("finalizer-overridden")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\": {\"finalizers\": [\"orphan\"]}}");

        kube.kubectl("delete", "-n", NAMESPACE, "externalsecrets.lanyard.dev", "finalizer-overridden", "--wait=true");

        admin.secrets().inNamespace(NAMESPACE).withName("finalizer-overridden")
                .waitUntilCondition(secret -> secret == null, 60, TimeUnit.SECONDS);
    }

    @Test
    void patchingThePodTemplateRollsOutOneNewReplicaSetAndTheSamePatchNone() {
        admin.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder()
                .withNewMetadata().withName("api").endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "api").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "api").endMetadata()
                .withNewSpec().addNewContainer().withName("api").withImage("example.invalid/api:1").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        awaitReplicaSets("api", 1);

        String restart = "{\"spec\": {\"template\": {\"metadata\": {\"annotations\": {\"lanyard.dev/data-hash\": \"h1\"}}}}}";
        var deployment = controller.apps().deployments().inNamespace(NAMESPACE).withName("api");
        deployment.patch(PatchContext.of(PatchType.JSON_MERGE), restart);
        awaitReplicaSets("api", 2);

        long generation = deployment.patch(PatchContext.of(PatchType.JSON_MERGE), restart).getMetadata().getGeneration();
        admin.apps().deployments().inNamespace(NAMESPACE).withName("api").waitUntilCondition(
                d -> d.getStatus() != null && d.getStatus().getObservedGeneration() != null
                        && d.getStatus().getObservedGeneration() >= generation, 60, TimeUnit.SECONDS);
        assertThat(replicaSets("api")).hasSize(2);
    }

    private static GenericKubernetesResource externalSecret(String name) {
        return (GenericKubernetesResource) admin.resource(ExternalSecrets.valid(name)).inNamespace(NAMESPACE).create();
    }

    /** The Secret as the controller writes it for an Owner resource with deletionPolicy Delete. */
    private static void ownedSecret(GenericKubernetesResource owner) {
        controller.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder()
                .withNewMetadata().withName(owner.getMetadata().getName())
                .addToLabels("app.kubernetes.io/managed-by", "lanyard")
                .addToOwnerReferences(new OwnerReferenceBuilder().withApiVersion(ExternalSecrets.API_VERSION)
                        .withKind(ExternalSecrets.KIND).withName(owner.getMetadata().getName())
                        .withUid(owner.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .addToStringData("password", "s3cr3t").build())
                .fieldManager("lanyard").forceConflicts().serverSideApply();
    }

    private static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> externalSecrets() {
        return ExternalSecrets.of(admin).inNamespace(NAMESPACE);
    }

    private static List<ReplicaSet> replicaSets(String app) {
        return admin.apps().replicaSets().inNamespace(NAMESPACE).withLabel("app", app).list().getItems();
    }

    private static void awaitReplicaSets(String app, int count) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (replicaSets(app).size() < count) {
            assertThat(System.nanoTime()).as("waiting for " + count + " ReplicaSets of " + app).isLessThan(deadline);
            KubeApiServer.pause(100);
        }
        assertThat(replicaSets(app)).hasSize(count);
    }
}
