package dev.lanyard.it;

import dev.lanyard.k8s.KubeApiServerResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Lanyard with its ExternalSecret controller on, against a real kube-apiserver ({@link KubeApiServerResource}: the CRD
 * and RBAC from k8s-external-secrets/, the controller as its own ServiceAccount), with fresh peers of its own since its
 * tests stop a backend. A third Vault backend, {@code blast}, is the same OpenBao's KV v2 mount {@code blast}, which
 * tests enable, disable and re-create. Policies: {@code sa:<NAMESPACE>/app} and {@code sa:<SCALE_NAMESPACE>/app} may
 * read what the tests write under {@code secret/written/k8s/}, the doomed backend's {@code secret/} and the blast
 * backend's {@code blast/}; nothing lets the locked namespace's identity read anything.
 */
public final class ExternalSecretProfile implements QuarkusTestProfile {

    static final String NAMESPACE = "apps";
    static final String SCALE_NAMESPACE = "scale";
    static final String LOCKED_NAMESPACE = "locked";
    static final int NOT_FOUND_CONFIRMATIONS = 3;
    /** The mount behind the {@code blast} backend; the tests enable it. */
    static final String BLAST_MOUNT = "blast";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>();
        config.put("lanyard.k8s.enabled", "true");
        config.put("lanyard.k8s.hmac-key", "file:" + hmacKey());
        config.put("lanyard.k8s.not-found-recheck", "1s");
        config.put("lanyard.k8s.not-found-confirmations", String.valueOf(NOT_FOUND_CONFIRMATIONS));
        config.put("lanyard.k8s.backoff-min", "500ms");
        config.put("lanyard.k8s.backoff-max", "5s");
        // As the README recommends with the controller on: every change through Lanyard drops the cached copy at once,
        // so a long static TTL costs no freshness there, and a cold start of many resources on a slow machine stays one
        // backend read per secret instead of reading again once the default 60 s window's refresh point passes.
        config.put("lanyard.broker.static-ttl", "10m");
        config.put("lanyard.policy.k8s-apps.subjects", "sa:" + NAMESPACE + "/app,sa:" + SCALE_NAMESPACE + "/app");
        config.put("lanyard.vault.blast.address", "${lanyard.vault.openbao.address}");
        config.put("lanyard.vault.blast.auth.token", "${lanyard.vault.openbao.auth.token}");
        config.put("lanyard.vault.blast.kv-v2-mounts", BLAST_MOUNT);
        config.put("lanyard.policy.k8s-apps.rules[0].paths", "openbao/secret/written/k8s/**,doomed/secret/**,blast/" + BLAST_MOUNT + "/**");
        config.put("lanyard.policy.k8s-apps.rules[0].capabilities", "read");
        // The writer (TestCallers) may also rotate what it writes for these tests: a real rotation reaches the Secret.
        config.put("lanyard.policy.k8s-rotator.subjects", "token:writer");
        config.put("lanyard.policy.k8s-rotator.rules[0].paths", "openbao/secret/written/k8s/**");
        config.put("lanyard.policy.k8s-rotator.rules[0].capabilities", "rotate");
        return config;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(KubeApiServerResource.class));
    }

    @Override
    public boolean disableGlobalTestResources() {
        return false;
    }

    private static Path hmacKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            Path file = Files.createTempFile("lanyard-k8s-hmac-", ".key");
            file.toFile().deleteOnExit();
            return Files.writeString(file, Base64.getEncoder().encodeToString(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
