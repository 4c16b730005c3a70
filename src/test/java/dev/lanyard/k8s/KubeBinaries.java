package dev.lanyard.k8s;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where scripts/kube-peers.sh put the Kubernetes binaries: {@code $LANYARD_KUBE_DIR}, or the per-user cache it
 * defaults to, in fabric8 kube-api-test's layout {@code k8s/<version>-<os>-<arch>/}.
 */
final class KubeBinaries {

    static final String KUBERNETES_VERSION = "1.34.4";
    static final String ETCD = "etcd";
    static final String API_SERVER = "kube-apiserver";
    static final String CONTROLLER_MANAGER = "kube-controller-manager";
    static final String KUBECTL = "kubectl";

    private final Path directory;

    private KubeBinaries(Path directory) {
        this.directory = directory;
    }

    /** The binaries, or an exception that says how to build them: a test never skips for want of them. */
    static KubeBinaries find() {
        return find(System.getenv(), System.getProperty("user.home"));
    }

    static KubeBinaries find(Map<String, String> environment, String userHome) {
        Path directory = cacheRoot(environment, userHome).resolve("k8s").resolve(KUBERNETES_VERSION + "-linux-" + architecture());
        List<String> missing = List.of(ETCD, API_SERVER, CONTROLLER_MANAGER, KUBECTL).stream()
                .filter(name -> !Files.isExecutable(directory.resolve(name)))
                .toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("Kubernetes test binaries missing in " + directory + ": " + String.join(", ", missing)
                    + ". Build them with scripts/kube-peers.sh (about 7 minutes once, then cached), or run scripts/test.sh.");
        }
        return new KubeBinaries(directory);
    }

    Path directory() {
        return directory;
    }

    Path etcd() {
        return directory.resolve(ETCD);
    }

    Path apiServer() {
        return directory.resolve(API_SERVER);
    }

    Path controllerManager() {
        return directory.resolve(CONTROLLER_MANAGER);
    }

    Path kubectl() {
        return directory.resolve(KUBECTL);
    }

    private static Path cacheRoot(Map<String, String> environment, String userHome) {
        Optional<String> explicit = Optional.ofNullable(environment.get("LANYARD_KUBE_DIR")).filter(s -> !s.isBlank());
        if (explicit.isPresent()) {
            return Path.of(explicit.get());
        }
        Path cache = Optional.ofNullable(environment.get("XDG_CACHE_HOME")).filter(s -> !s.isBlank())
                .map(Path::of)
                .orElseGet(() -> Path.of(userHome, ".cache"));
        return cache.resolve("lanyard").resolve("kube").resolve(KUBERNETES_VERSION);
    }

    private static String architecture() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            default -> arch;
        };
    }
}
