package dev.lanyard.k8s;

import dev.lanyard.devstack.FreePort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd and kube-apiserver (v1.34.4, from scripts/kube-peers.sh) on free loopback ports, for tests:
 * RBAC authorization, ServiceAccount tokens through the TokenRequest API, CRDs with CEL validation, server-side
 * apply. No kubelet and no scheduler: Pods are objects that never run, and tests never connect to a ClusterIP.
 * Garbage collection and Deployment rollouts need {@link #startControllerManager(Set)}.
 *
 * <p>Everything listens on 127.0.0.1 only; the work directory (certificates, tokens, etcd data, logs) is
 * removed by {@link #close()}. Start-up fails with a message naming the missing binaries or the end of the
 * failing process's log; it never skips.
 *
 * <p>Not fabric8 kube-api-test (7.6.1): its etcd listens on 0.0.0.0, it writes certificates into the shared
 * binaries folder, it has no controller-manager, and its etcd syncs every write to disk.
 *
 * <pre>{@code
 * try (KubeApiServer kube = KubeApiServer.start()) {
 *     kube.adminClient().secrets().inNamespace("default").list();
 *     try (KubernetesClient sa = kube.serviceAccountClient("lanyard", "lanyard")) { ... }
 * }
 * }</pre>
 */
public final class KubeApiServer implements AutoCloseable {

    /** The field manager tests use for what they apply as the cluster administrator. */
    public static final String FIELD_MANAGER = "lanyard-tests";

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final int START_ATTEMPTS = 3;

    private final KubeBinaries binaries;
    private final Path work;
    private final String adminToken;
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook = new Thread(this::stopProcesses, "kube-api-server-stop");
    private ControlPlaneProcess etcd;
    private ControlPlaneProcess apiServer;
    private int port;
    private Duration startupTime;
    private KubernetesClient admin;

    private KubeApiServer(KubeBinaries binaries, Path work, String adminToken) {
        this.binaries = binaries;
        this.work = work;
        this.adminToken = adminToken;
    }

    /** Starts etcd and kube-apiserver and returns once the API server is ready and the default namespace exists. */
    public static KubeApiServer start() {
        KubeBinaries binaries = KubeBinaries.find();
        Path work;
        try {
            work = Files.createTempDirectory("lanyard-kube-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KubeApiServer server = new KubeApiServer(binaries, work, randomToken());
        Runtime.getRuntime().addShutdownHook(server.shutdownHook);
        try {
            server.boot();
            System.out.printf("kube-apiserver and etcd ready at %s in %d ms%n", server.url(), server.startupTime().toMillis());
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void boot() {
        long started = System.nanoTime();
        try {
            Files.createDirectories(work.resolve("certs"));
            Pem.writeRsaKeyPair(serviceAccountKey(), work.resolve("sa.pub"));
            Path tokens = Files.writeString(work.resolve("tokens.csv"),
                    adminToken + ",lanyard-test-admin,lanyard-test-admin,\"system:masters\"\n");
            tokens.toFile().setReadable(false, false);
            tokens.toFile().setReadable(true, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int attempt = 1; ; attempt++) {
            try {
                launch();
                awaitReady();
                break;
            } catch (PortTakenException e) {
                stopProcesses();
                if (attempt == START_ATTEMPTS) {
                    throw new IllegalStateException("no free loopback ports after " + attempt + " attempts", e);
                }
            }
        }
        admin = newClient(adminToken);
        awaitDefaultNamespace();
        startupTime = Duration.ofNanos(System.nanoTime() - started);
        writeKubeconfig();
    }

    private void launch() {
        int etcdPort = FreePort.pick();
        int peerPort = FreePort.pick();
        port = FreePort.pick();
        Path etcdData = work.resolve("etcd-" + etcdPort);
        etcd = ControlPlaneProcess.start("etcd", List.of(binaries.etcd().toString(),
                "--name=lanyard-test",
                "--data-dir=" + etcdData,
                "--listen-client-urls=http://127.0.0.1:" + etcdPort,
                "--advertise-client-urls=http://127.0.0.1:" + etcdPort,
                "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-cluster=lanyard-test=http://127.0.0.1:" + peerPort,
                // test data: losing it on a crash is fine, waiting for the disk on every write is not
                "--unsafe-no-fsync",
                "--log-level=warn"), work.resolve("etcd.log"));
        apiServer = ControlPlaneProcess.start("kube-apiserver", List.of(binaries.apiServer().toString(),
                "--etcd-servers=http://127.0.0.1:" + etcdPort,
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                "--secure-port=" + port,
                "--cert-dir=" + work.resolve("certs"),
                "--token-auth-file=" + work.resolve("tokens.csv"),
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + work.resolve("sa.pub"),
                "--service-account-signing-key-file=" + serviceAccountKey(),
                "--service-cluster-ip-range=10.96.0.0/24",
                // no token controller runs, so Pods must not wait for ServiceAccount token Secrets
                "--disable-admission-plugins=ServiceAccount",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
                "--v=1"), work.resolve("kube-apiserver.log"));
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Path certificate = servingCertificate();
        HttpClient http = null;
        while (System.nanoTime() < deadline) {
            checkProcesses();
            if (http == null && Files.isRegularFile(certificate) && certificateComplete(certificate)) {
                http = HttpClient.newBuilder().sslContext(Pem.trusting(certificate))
                        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
            }
            if (http != null && ready(http)) {
                return;
            }
            pause(100);
        }
        throw new IllegalStateException("kube-apiserver was not ready within " + READY_TIMEOUT + "; the end of its log:\n" + apiServer.logTail());
    }

    private boolean ready(HttpClient http) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                .header("Authorization", "Bearer " + adminToken)
                .timeout(Duration.ofSeconds(5))
                .GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for kube-apiserver", e);
        }
    }

    private void checkProcesses() {
        for (ControlPlaneProcess process : List.of(etcd, apiServer)) {
            if (!process.isAlive()) {
                String tail = process.logTail();
                if (tail.contains("address already in use")) {
                    throw new PortTakenException(tail);
                }
                process.checkAlive();
            }
        }
    }

    private void awaitDefaultNamespace() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (admin.namespaces().withName("default").get() == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the default namespace did not appear within " + READY_TIMEOUT);
            }
            pause(100);
        }
    }

    /** The API server's address, {@code https://127.0.0.1:<port>}. */
    public String url() {
        return "https://127.0.0.1:" + port;
    }

    /** How long {@link #start()} took, from launching etcd to a ready API server with its default namespace. */
    public Duration startupTime() {
        return startupTime;
    }

    /** A client acting as the cluster administrator (group system:masters); closed with the server. */
    public KubernetesClient adminClient() {
        return admin;
    }

    /** The administrator's client configuration, for code that builds its own client. */
    public Config adminConfig() {
        return config(adminToken);
    }

    /** The PEM file that verifies the API server's self-signed serving certificate. */
    public Path certificateAuthority() {
        return servingCertificate();
    }

    /** The administrator's bearer token. */
    public String adminToken() {
        return adminToken;
    }

    /** A kubeconfig file for the administrator, for kubectl and the controller-manager. */
    public Path kubeconfig() {
        return work.resolve("admin.kubeconfig");
    }

    /** Creates the namespace unless it exists. */
    public void createNamespace(String name) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
    }

    /**
     * A token for the ServiceAccount from the TokenRequest API (as a projected token would be), valid for an
     * hour, with the API server as audience. Creates the namespace and the ServiceAccount when missing.
     */
    public String serviceAccountToken(String namespace, String name) {
        createNamespace(namespace);
        admin.serviceAccounts().inNamespace(namespace)
                .resource(new ServiceAccountBuilder().withNewMetadata().withName(name).endMetadata().build())
                .fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
        return admin.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(request).getStatus().getToken();
    }

    /** A client authenticated as the ServiceAccount (see {@link #serviceAccountToken}); closed with the server. */
    public KubernetesClient serviceAccountClient(String namespace, String name) {
        KubernetesClient client = newClient(serviceAccountToken(namespace, name));
        closeables.add(client);
        return client;
    }

    /**
     * Applies every document of a YAML manifest file as the administrator (server-side apply), in order, and
     * returns what the server stored. A CustomResourceDefinition is waited for until it is Established.
     */
    public List<HasMetadata> apply(Path manifest) {
        List<HasMetadata> applied = new ArrayList<>();
        try (InputStream in = Files.newInputStream(manifest)) {
            for (HasMetadata resource : admin.load(in).items()) {
                HasMetadata stored = admin.resource(resource).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
                if (stored instanceof CustomResourceDefinition crd) {
                    awaitEstablished(crd.getMetadata().getName());
                }
                applied.add(stored);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return applied;
    }

    /** Waits until the CRD is Established, so its resources can be created. */
    public void awaitEstablished(String crdName) {
        admin.apiextensions().v1().customResourceDefinitions().withName(crdName).waitUntilCondition(
                crd -> crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
                        && crd.getStatus().getConditions().stream()
                        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus())),
                30, TimeUnit.SECONDS);
    }

    /**
     * Starts kube-controller-manager running only the given controllers, as the administrator. Start it after
     * installing the CRDs whose resources own objects: its garbage collector discovers new resource types only
     * every 30 s. Stopped with the server, or earlier by closing it.
     */
    public KubeControllerManager startControllerManager(Set<KubeController> controllers) {
        KubeControllerManager manager = KubeControllerManager.start(binaries.controllerManager(), work, kubeconfig(),
                serviceAccountKey(), controllers);
        closeables.add(manager);
        return manager;
    }

    /** Runs the cached kubectl against this server as the administrator and returns its standard output. */
    public String kubectl(String... args) {
        List<String> command = new ArrayList<>();
        command.add(binaries.kubectl().toString());
        command.add("--kubeconfig=" + kubeconfig());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("kubectl " + String.join(" ", args) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private KubernetesClient newClient(String token) {
        return new KubernetesClientBuilder().withConfig(config(token)).build();
    }

    private Config config(String token) {
        String ca;
        try {
            ca = Files.readString(servingCertificate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withOauthToken(token)
                .withCaCertData(Base64.getEncoder().encodeToString(ca.getBytes(StandardCharsets.UTF_8)))
                .withNamespace("default")
                .withRequestTimeout(30_000)
                .build();
    }

    private void writeKubeconfig() {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: lanyard-test
                    cluster:
                      server: %s
                      certificate-authority: %s
                users:
                  - name: lanyard-test-admin
                    user:
                      token: %s
                contexts:
                  - name: lanyard-test
                    context:
                      cluster: lanyard-test
                      user: lanyard-test-admin
                      namespace: default
                current-context: lanyard-test
                """.formatted(url(), servingCertificate(), adminToken);
        try {
            Path file = Files.writeString(kubeconfig(), yaml);
            file.toFile().setReadable(false, false);
            file.toFile().setReadable(true, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** kube-apiserver writes its self-signed certificate, followed by the CA that signed it, here. */
    private Path servingCertificate() {
        return work.resolve("certs").resolve("apiserver.crt");
    }

    private static boolean certificateComplete(Path certificate) {
        try {
            return Files.readString(certificate).trim().endsWith("-----END CERTIFICATE-----");
        } catch (IOException e) {
            return false;
        }
    }

    private Path serviceAccountKey() {
        return work.resolve("sa.key");
    }

    @Override
    public void close() {
        for (AutoCloseable closeable : closeables) {
            try {
                closeable.close();
            } catch (Exception e) {
                // keep stopping the rest
            }
        }
        if (admin != null) {
            admin.close();
        }
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook is running
        }
        deleteRecursively(work);
    }

    private void stopProcesses() {
        if (apiServer != null) {
            apiServer.stop();
        }
        if (etcd != null) {
            etcd.stop();
        }
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a temp directory left behind is not worth failing a test for
        }
    }

    private static String randomToken() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Raised when another process took a port between choosing it and binding it. */
    private static final class PortTakenException extends RuntimeException {
        PortTakenException(String log) {
            super(log);
        }
    }
}
