package dev.lanyard.it;

import static dev.lanyard.it.ExternalSecretSyncIT.entry;
import static dev.lanyard.it.ExternalSecretSyncIT.resource;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.k8s.ExternalSecret;
import dev.lanyard.k8s.KubeApiServer;
import dev.lanyard.k8s.KubeApiServerResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * 500 ExternalSecrets over 50 distinct backend secrets: every resource Synced from cold with at most one backend read
 * per distinct secret, and a change through Lanyard to 10 of the 50 reaching each of the 100 Secrets that hold them,
 * with one backend read per changed secret. Reports cold convergence time and propagation p50/p99.
 */
@QuarkusTest
@RealPeers
@TestProfile(ExternalSecretProfile.class)
class ExternalSecretScaleIT {

    private static final String NAMESPACE = ExternalSecretProfile.SCALE_NAMESPACE;
    private static final int SECRETS = 50;
    private static final int RESOURCES = 500;
    private static final int CHANGED = 10;

    @InjectPeer
    TestCallers callers;

    @Inject
    MeterRegistry meters;

    private final KubeApiServer kube = KubeApiServerResource.current();
    private final KubernetesClient admin = kube.adminClient();

    @Test
    void fiveHundredResourcesOverFiftySecretsConvergeWithOneReadPerSecretAndPropagateAChangeToTenOfThem() {
        kube.createNamespace(NAMESPACE);
        String prefix = ExternalSecretSyncIT.kvPath();
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < SECRETS; i++) {
            paths.add(prefix + "/s" + i);
            put(paths.get(i), "cold-" + i);
        }

        double readsBefore = backendReads();
        long started = System.nanoTime();
        // created from a few threads, as kubectl apply -f of a folder would not be slower than the controller
        try (ExecutorService creators = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < RESOURCES; i++) {
                ExternalSecret resource = resource("r" + i, NAMESPACE, null, List.of(entry("value", paths.get(i % SECRETS), "value")), List.of());
                creators.submit(() -> ExternalSecretSyncIT.externalSecrets(admin).inNamespace(NAMESPACE).resource(resource).create());
            }
        }
        long created = System.nanoTime();
        awaitAllSynced(Duration.ofMinutes(3));
        Duration converged = Duration.ofNanos(System.nanoTime() - started);
        double coldReads = backendReads() - readsBefore;
        System.out.printf("scale: %d resources over %d secrets created in %d ms, all Synced %d ms after the first create;"
                        + " %.0f backend reads%n", RESOURCES, SECRETS, Duration.ofNanos(created - started).toMillis(),
                converged.toMillis(), coldReads);
        assertThat(coldReads).as("backend reads from cold").isLessThanOrEqualTo(SECRETS);

        // Each Secret's first update after the change, timed from the write of the secret it holds.
        Map<String, Long> updatedAt = new ConcurrentHashMap<>();
        SharedIndexInformer<Secret> informer = admin.secrets().inNamespace(NAMESPACE).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Secret secret) {}

            @Override
            public void onUpdate(Secret old, Secret updated) {
                if (!old.getData().equals(updated.getData())) {
                    updatedAt.putIfAbsent(updated.getMetadata().getName(), System.nanoTime());
                }
            }

            @Override
            public void onDelete(Secret secret, boolean unknown) {}
        });
        try {
            double readsBeforeChange = backendReads();
            long[] changedAt = new long[CHANGED];
            for (int i = 0; i < CHANGED; i++) {
                changedAt[i] = System.nanoTime();
                put(paths.get(i), "changed-" + i);
            }
            ExternalSecretSyncIT.await(() -> updatedAt.size() >= CHANGED * (RESOURCES / SECRETS));
            List<Long> latencies = new ArrayList<>();
            updatedAt.forEach((name, at) -> {
                int secret = Integer.parseInt(name.substring(1)) % SECRETS;
                latencies.add((at - changedAt[secret]) / 1_000_000);
            });
            latencies.sort(null);
            long p50 = latencies.get(latencies.size() / 2);
            long p99 = latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
            double waveReads = backendReads() - readsBeforeChange;
            System.out.printf("scale: a change to %d of %d secrets reached %d Secrets; propagation p50 %d ms, p99 %d ms, max %d ms;"
                    + " %.0f backend reads%n", CHANGED, SECRETS, latencies.size(), p50, p99, latencies.getLast(), waveReads);
            assertThat(latencies).hasSize(CHANGED * (RESOURCES / SECRETS));
            assertThat(updatedAt.keySet()).allSatisfy(name -> assertThat(Integer.parseInt(name.substring(1)) % SECRETS).isLessThan(CHANGED));
            assertThat(waveReads).as("backend reads in the change wave").isLessThanOrEqualTo(CHANGED);
        } finally {
            informer.close();
        }
        ExternalSecretSyncIT.pause(500);
        assertThat(updatedAt).as("no Secret of an unchanged secret was written").hasSize(CHANGED * (RESOURCES / SECRETS));
    }

    private void awaitAllSynced(Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            List<ExternalSecret> all = ExternalSecretSyncIT.externalSecrets(admin).inNamespace(NAMESPACE).list().getItems();
            long synced = all.stream().filter(r -> r.getStatus() != null && r.getStatus().conditions() != null
                    && "Synced".equals(r.getStatus().conditions().getFirst().reason())).count();
            if (synced == RESOURCES) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(synced + " of " + RESOURCES + " Synced after " + within);
            }
            ExternalSecretSyncIT.pause(100);
        }
    }

    /** Reads Lanyard made of OpenBao, whatever their outcome. */
    private double backendReads() {
        return Search.in(meters).name("lanyard.backend.call").tag("backend", "openbao").tag("operation", "read")
                .timers().stream().mapToDouble(timer -> timer.count()).sum();
    }

    private void put(String path, String value) {
        given().header("Authorization", callers.bearer("writer")).contentType(ContentType.JSON)
                .body(Map.of("data", Map.of("value", value))).when().put("/v1/secrets/openbao/" + path)
                .then().statusCode(200);
    }
}
