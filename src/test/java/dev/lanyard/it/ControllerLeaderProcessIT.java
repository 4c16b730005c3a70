package dev.lanyard.it;

import static dev.lanyard.it.ExternalSecretSyncIT.decoded;
import static dev.lanyard.it.ExternalSecretSyncIT.entry;
import static dev.lanyard.it.ExternalSecretSyncIT.resource;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import dev.lanyard.k8s.ExternalSecrets;
import dev.lanyard.k8s.KubeApiServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Two packaged Lanyard processes with the ExternalSecret controller on, against one kube-apiserver, PostgreSQL and
 * OpenBao: one holds the coordination Lease and reconciles; killed (SIGKILL, no goodbye), the other takes the Lease
 * within the lease duration and keeps propagating changes made through it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControllerLeaderProcessIT {

    private static final String NAMESPACE = "apps";
    private static final String LEASE = "lanyard-external-secrets";
    private static final Duration LEASE_DURATION = Duration.ofSeconds(4);

    private Path work;
    private KubeApiServer kube;
    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private PackagedLanyard packaged;
    private final Map<String, Process> replicas = new LinkedHashMap<>();
    private final Map<String, Integer> ports = new LinkedHashMap<>();
    private String writer;

    @BeforeAll
    void startPeersAndTwoReplicas() throws Exception {
        work = Files.createTempDirectory("lanyard-leader-");
        kube = KubeApiServer.start();
        kube.apply(ExternalSecrets.CRD);
        kube.createNamespace("lanyard");
        kube.createNamespace(NAMESPACE);
        kube.apply(ExternalSecrets.RBAC.resolve("controller.yaml"));
        kube.apply(ExternalSecrets.RBAC.resolve("all-namespaces.yaml"));
        Path token = secret("kube-token", kube.serviceAccountToken("lanyard", "lanyard"));
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        packaged = new PackagedLanyard(work);
        packaged.migrate(database);

        writer = ApiTokens.generate(new SecureRandom());
        Map<String, String> shared = new LinkedHashMap<>(database.lanyardConfig());
        shared.put("quarkus.http.host", "127.0.0.1");
        shared.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", randomKey()));
        shared.put("lanyard.audit.signing-key", "file:" + secret("signing", randomKey()));
        shared.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        shared.put("lanyard.vault.openbao.address", openBao.address());
        shared.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        shared.put("lanyard.auth.bootstrap-tokens.writer", "file:" + secret("token-writer", writer));
        shared.put("lanyard.policy.writer.subjects", "token:writer");
        shared.put("lanyard.policy.writer.rules[0].paths", "openbao/secret/**");
        shared.put("lanyard.policy.writer.rules[0].capabilities", "read,write");
        shared.put("lanyard.policy.apps.subjects", "sa:" + NAMESPACE + "/app");
        shared.put("lanyard.policy.apps.rules[0].paths", "openbao/secret/**");
        shared.put("lanyard.policy.apps.rules[0].capabilities", "read");
        shared.put("lanyard.k8s.enabled", "true");
        shared.put("lanyard.k8s.hmac-key", "file:" + secret("k8s-hmac", randomKey()));
        shared.put("lanyard.k8s.cluster.api-server-url", kube.url());
        shared.put("lanyard.k8s.cluster.token", "file:" + token);
        shared.put("lanyard.k8s.cluster.ca-cert-file", kube.certificateAuthority().toString());
        shared.put("lanyard.k8s.cluster.namespace", "lanyard");
        shared.put("lanyard.k8s.leader-election.lease-duration", LEASE_DURATION.toSeconds() + "s");
        shared.put("lanyard.k8s.leader-election.renew-deadline", "3s");
        shared.put("lanyard.k8s.leader-election.retry-period", "1s");
        for (String name : List.of("replica-a", "replica-b")) {
            int port = FreePort.pick();
            Map<String, String> config = new LinkedHashMap<>(shared);
            config.put("quarkus.http.port", String.valueOf(port));
            config.put("lanyard.k8s.leader-election.identity", name);
            replicas.put(name, packaged.start(config, name));
            ports.put(name, port);
        }
        for (Map.Entry<String, Process> replica : replicas.entrySet()) {
            packaged.awaitReady(replica.getValue(), "http://127.0.0.1:" + ports.get(replica.getKey()));
        }
    }

    @AfterAll
    void stopEverything() {
        replicas.values().forEach(Process::destroyForcibly);
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
        if (kube != null) {
            kube.close();
        }
    }

    @Test
    void whenTheLeaderIsKilledTheOtherReplicaTakesTheLeaseAndKeepsPropagating() throws Exception {
        KubernetesClient admin = kube.adminClient();
        String path = "secret/leader/config";
        put("replica-a", path, "before");
        ExternalSecretSyncIT.await(() -> holder(admin) != null);
        String leader = holder(admin);
        String follower = replicas.keySet().stream().filter(name -> !name.equals(leader)).findFirst().orElseThrow();
        ExternalSecretSyncIT.externalSecrets(admin).inNamespace(NAMESPACE)
                .resource(resource("leader-test", NAMESPACE, null, List.of(entry("v", path, "v")), List.of())).create();
        ExternalSecretSyncIT.await(() -> "before".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName("leader-test").get()).get("v")));

        replicas.get(leader).destroyForcibly().waitFor();
        long killed = System.nanoTime();
        ExternalSecretSyncIT.await(() -> follower.equals(holder(admin)));
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);

        long changed = System.nanoTime();
        put(follower, path, "after");
        ExternalSecretSyncIT.await(() -> "after".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName("leader-test").get()).get("v")));
        Duration propagated = Duration.ofNanos(System.nanoTime() - changed);
        System.out.printf("leader election: %s killed, %s held the Lease after %d ms (lease duration %d s);"
                        + " a write through it reached the Secret in %d ms%n", leader, follower, takeover.toMillis(),
                LEASE_DURATION.toSeconds(), propagated.toMillis());
        assertThat(takeover).isLessThanOrEqualTo(LEASE_DURATION.multipliedBy(3));
    }

    private static String holder(KubernetesClient admin) {
        Lease lease = admin.leases().inNamespace("lanyard").withName(LEASE).get();
        return lease == null || lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity();
    }

    private void put(String replica, String path, String value) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(replica) + "/v1/secrets/openbao/" + path))
                .header("Authorization", "Bearer " + writer).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"data\":{\"v\":\"" + value + "\"}}")).build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private Path secret(String name, String value) throws Exception {
        Path file = Files.writeString(work.resolve(name), value);
        file.toFile().setReadable(false, false);
        file.toFile().setReadable(true, true);
        return file;
    }

    private static String randomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }
}
