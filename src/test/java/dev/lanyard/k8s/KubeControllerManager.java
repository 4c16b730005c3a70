package dev.lanyard.k8s;

import dev.lanyard.devstack.FreePort;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A real kube-controller-manager running only the controllers a test asked for, as the cluster administrator,
 * serving its health check on a loopback port. Started by {@link KubeApiServer#startControllerManager(Set)}.
 */
public final class KubeControllerManager implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final ControlPlaneProcess process;
    private final Set<KubeController> controllers;

    private KubeControllerManager(ControlPlaneProcess process, Set<KubeController> controllers) {
        this.process = process;
        this.controllers = Set.copyOf(controllers);
    }

    static KubeControllerManager start(Path binary, Path work, Path kubeconfig, Path serviceAccountKey, Set<KubeController> controllers) {
        if (controllers.isEmpty()) {
            throw new IllegalArgumentException("name the controllers to run");
        }
        int port = FreePort.pick();
        Path certs = work.resolve("controller-manager-" + port);
        try {
            Files.createDirectories(certs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String names = controllers.stream().map(KubeController::flagName).sorted().collect(Collectors.joining(","));
        ControlPlaneProcess process = ControlPlaneProcess.start("kube-controller-manager", List.of(binary.toString(),
                "--kubeconfig=" + kubeconfig,
                "--authentication-kubeconfig=" + kubeconfig,
                "--authorization-kubeconfig=" + kubeconfig,
                "--controllers=" + names,
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                "--secure-port=" + port,
                "--cert-dir=" + certs,
                "--service-account-private-key-file=" + serviceAccountKey,
                "--v=1"), work.resolve("kube-controller-manager-" + port + ".log"));
        KubeControllerManager manager = new KubeControllerManager(process, controllers);
        try {
            manager.awaitHealthy(port, certs.resolve("kube-controller-manager.crt"));
            return manager;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private void awaitHealthy(int port, Path certificate) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        HttpClient http = null;
        while (System.nanoTime() < deadline) {
            process.checkAlive();
            if (http == null && Files.isRegularFile(certificate)) {
                http = HttpClient.newBuilder().sslContext(Pem.trusting(certificate))
                        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
            }
            if (http != null && healthy(http, port)) {
                return;
            }
            KubeApiServer.pause(100);
        }
        throw new IllegalStateException("kube-controller-manager was not healthy within " + READY_TIMEOUT + "; the end of its log:\n" + process.logTail());
    }

    private static boolean healthy(HttpClient http, int port) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/healthz"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The controllers this process runs. */
    public Set<KubeController> controllers() {
        return controllers;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.stop();
    }
}
