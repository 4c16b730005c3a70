package dev.lanyard.k8s;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@link KubeApiServer} as a Quarkus test resource, for tests of the controller inside Lanyard:
 * {@code @QuarkusTestResource(KubeApiServerResource.class)} starts the API server, installs the ExternalSecret
 * CRD and the controller's RBAC from k8s-external-secrets/, and points the controller's client at it
 * ({@code lanyard.k8s.cluster.*}: quarkus-kubernetes-client's own properties are fixed at build time) with the
 * token of the controller's ServiceAccount (lanyard/lanyard, bound in all namespaces), so the controller runs with
 * exactly the permissions it ships with. The init arg {@code identity=admin} gives it the administrator instead.
 * {@link #current()} hands the server to the test for its own (administrator) client.
 */
public class KubeApiServerResource implements QuarkusTestResourceLifecycleManager {

    public static final String CONTROLLER_NAMESPACE = "lanyard";
    public static final String CONTROLLER_SERVICE_ACCOUNT = "lanyard";

    private static volatile KubeApiServer current;
    private boolean asAdmin;

    /** The server of the running test resource. */
    public static KubeApiServer current() {
        if (current == null) {
            throw new IllegalStateException("no KubeApiServerResource is running");
        }
        return current;
    }

    @Override
    public void init(Map<String, String> initArgs) {
        String identity = initArgs.getOrDefault("identity", "controller");
        if (!identity.equals("controller") && !identity.equals("admin")) {
            throw new IllegalArgumentException("identity must be controller or admin, not " + identity);
        }
        asAdmin = identity.equals("admin");
    }

    @Override
    public Map<String, String> start() {
        KubeApiServer kube = KubeApiServer.start();
        try {
            kube.apply(ExternalSecrets.CRD);
            kube.createNamespace(CONTROLLER_NAMESPACE);
            kube.apply(ExternalSecrets.RBAC.resolve("controller.yaml"));
            kube.apply(ExternalSecrets.RBAC.resolve("all-namespaces.yaml"));
            String token = asAdmin ? kube.adminToken() : kube.serviceAccountToken(CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT);
            Path tokenFile = Files.createTempFile("lanyard-kube-token-", ".jwt");
            tokenFile.toFile().deleteOnExit();
            Files.writeString(tokenFile, token);
            current = kube;
            return Map.of(
                    "lanyard.k8s.cluster.api-server-url", kube.url(),
                    "lanyard.k8s.cluster.token", "file:" + tokenFile,
                    "lanyard.k8s.cluster.ca-cert-file", kube.certificateAuthority().toString(),
                    "lanyard.k8s.cluster.namespace", CONTROLLER_NAMESPACE);
        } catch (IOException e) {
            kube.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            kube.close();
            throw e;
        }
    }

    @Override
    public void stop() {
        KubeApiServer kube = current;
        current = null;
        if (kube != null) {
            kube.close();
        }
    }
}
