package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeBinariesTest {

    @TempDir
    Path cache;

    @Test
    void missingBinariesFailWithWhatIsMissingAndHowToBuildIt() throws IOException {
        Path directory = layout(cache.resolve("explicit"));
        executable(directory.resolve("etcd"));

        assertThatThrownBy(() -> KubeBinaries.find(Map.of("LANYARD_KUBE_DIR", cache.resolve("explicit").toString()), "/nonexistent"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(directory.toString())
                .hasMessageContaining("kube-apiserver, kube-controller-manager, kubectl")
                .hasMessageNotContaining("etcd,")
                .hasMessageContaining("scripts/kube-peers.sh");
    }

    @Test
    void theCacheFollowsLanyardKubeDirThenXdgCacheHomeThenTheHomeFolder() throws IOException {
        Path explicit = complete(cache.resolve("explicit"));
        Path xdg = complete(cache.resolve("xdg/lanyard/kube/1.34.4"));
        Path home = complete(cache.resolve("home/.cache/lanyard/kube/1.34.4"));

        assertThat(KubeBinaries.find(Map.of("LANYARD_KUBE_DIR", cache.resolve("explicit").toString(),
                "XDG_CACHE_HOME", cache.resolve("xdg").toString()), cache.resolve("home").toString()).directory()).isEqualTo(explicit);
        assertThat(KubeBinaries.find(Map.of("XDG_CACHE_HOME", cache.resolve("xdg").toString()), cache.resolve("home").toString())
                .directory()).isEqualTo(xdg);
        assertThat(KubeBinaries.find(Map.of(), cache.resolve("home").toString()).directory()).isEqualTo(home);
    }

    private static Path complete(Path root) throws IOException {
        Path directory = layout(root);
        for (String name : new String[] {"etcd", "kube-apiserver", "kube-controller-manager", "kubectl"}) {
            executable(directory.resolve(name));
        }
        return directory;
    }

    private static Path layout(Path root) throws IOException {
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        return Files.createDirectories(root.resolve("k8s").resolve("1.34.4-linux-" + arch));
    }

    private static void executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
