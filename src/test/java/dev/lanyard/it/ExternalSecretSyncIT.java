package dev.lanyard.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.broker.Broker;
import dev.lanyard.k8s.ExternalSecret;
import dev.lanyard.k8s.ExternalSecretSpec;
import dev.lanyard.k8s.ExternalSecretSpec.CreationPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.DataFrom;
import dev.lanyard.k8s.ExternalSecretSpec.DataEntry;
import dev.lanyard.k8s.ExternalSecretSpec.DeletionPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.NotFoundPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.RefreshPolicy;
import dev.lanyard.k8s.ExternalSecretSpec.RemoteRef;
import dev.lanyard.k8s.ExternalSecretSpec.RestartTarget;
import dev.lanyard.k8s.ExternalSecretSpec.SecretTarget;
import dev.lanyard.k8s.ExternalSecretSpec.Template;
import dev.lanyard.k8s.ExternalSecretSpec.TemplateMetadata;
import dev.lanyard.k8s.ExternalSecretStatus;
import dev.lanyard.k8s.KubeApiServer;
import dev.lanyard.k8s.KubeApiServerResource;
import dev.lanyard.k8s.KubeController;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ExternalSecret controller inside Lanyard against a real kube-apiserver (CRD and RBAC from k8s-external-secrets/,
 * the controller running as its own ServiceAccount), OpenBao and PostgreSQL: Secrets created, kept equal to the backend
 * within a second of a change through Lanyard, restarted workloads only when data changed, ownership respected, reads
 * checked against policy and audited, and a backend's failures never emptying a Secret.
 */
@QuarkusTest
@RealPeers
@TestProfile(ExternalSecretProfile.class)
class ExternalSecretSyncIT {

    private static final String NAMESPACE = ExternalSecretProfile.NAMESPACE;
    private static final Duration SETTLE = Duration.ofSeconds(30);

    @InjectPeer
    TestCallers callers;

    @InjectPeer
    AuditRows audit;

    @InjectPeer
    VaultPeer openBao;

    @InjectPeer("doomed")
    VaultPeer doomed;

    @Inject
    Broker broker;

    @Inject
    MeterRegistry meters;

    private final KubeApiServer kube = KubeApiServerResource.current();
    private final KubernetesClient admin = kube.adminClient();

    @BeforeEach
    void namespace() {
        kube.createNamespace(NAMESPACE);
    }

    @Test
    void aResourceBecomesASecretWithItsDataTypeLabelsAndStatusAndEveryReadIsAudited() {
        String path = kvPath();
        put(path, Map.of("username", "svc", "password", "first-pass"));
        String name = "created-" + shortId();
        create(resource(name, NAMESPACE, new SecretTarget(null, CreationPolicy.Owner, DeletionPolicy.Delete, null, false,
                        new Template("kubernetes.io/basic-auth", new TemplateMetadata(Map.of("team", "payments"), Map.of("example.com/note", "n")), null)),
                List.of(entry("username", path, "username"), entry("password", path, "password")), List.of()));

        ExternalSecretStatus status = awaitReason(NAMESPACE, name, "Synced");
        Secret secret = admin.secrets().inNamespace(NAMESPACE).withName(name).get();
        assertThat(decoded(secret)).containsExactlyInAnyOrderEntriesOf(Map.of("username", "svc", "password", "first-pass"));
        assertThat(secret.getType()).isEqualTo("kubernetes.io/basic-auth");
        assertThat(secret.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "lanyard").containsEntry("team", "payments");
        assertThat(secret.getMetadata().getAnnotations()).containsEntry("example.com/note", "n").containsEntry("lanyard.dev/external-secret", name);
        ExternalSecret stored = externalSecrets(NAMESPACE).withName(name).get();
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
            assertThat(owner.getUid()).isEqualTo(stored.getMetadata().getUid());
            assertThat(owner.getController()).isTrue();
        });
        assertThat(status.observedGeneration()).isEqualTo(stored.getMetadata().getGeneration());
        assertThat(status.dataHmac()).matches("[A-Za-z0-9_-]{43}");
        assertThat(status.syncedAt()).isNotNull();
        assertThat(status.secretName()).isEqualTo(name);
        assertThat(status.syncedVersions()).singleElement().satisfies(version -> {
            assertThat(version.backend()).isEqualTo("openbao");
            assertThat(version.path()).isEqualTo(path);
            assertThat(version.version()).isEqualTo("1");
        });

        List<Map<String, Object>> reads = audit.query("select * from audit_event where detail = ? and operation = 'read'",
                "ExternalSecret " + NAMESPACE + "/" + name);
        assertThat(reads).isNotEmpty().allSatisfy(row -> {
            assertThat(row).containsEntry("subject", "sa:" + NAMESPACE + "/app").containsEntry("actor_kind", "controller")
                    .containsEntry("outcome", "success").containsEntry("path", path).containsEntry("target_kind", "kubernetes");
        });
        assertThat(audit.allRows().toString()).doesNotContain("first-pass");
    }

    @Test
    void aKvWriteThroughLanyardReachesTheSecretAndRestartsTheDeploymentWithinASecond() {
        String path = kvPath();
        put(path, Map.of("token", "v1"));
        String name = "propagated-" + shortId();
        deployment(NAMESPACE, name);
        create(resource(name, NAMESPACE, null, List.of(entry("token", path, "token")), List.of(new RestartTarget("Deployment", name))));
        awaitReason(NAMESPACE, name, "Synced");
        String before = admin.secrets().inNamespace(NAMESPACE).withName(name).get().getMetadata().getResourceVersion();
        assertThat(restartAnnotation(name)).as("the first sync restarts nothing").isNull();

        long changed = System.nanoTime();
        put(path, Map.of("token", "v2"));
        long secretUpdated = awaitNanos(() -> !before.equals(admin.secrets().inNamespace(NAMESPACE).withName(name).get().getMetadata().getResourceVersion()));
        long annotated = awaitNanos(() -> restartAnnotation(name) != null);
        Duration toSecret = Duration.ofNanos(secretUpdated - changed);
        Duration toRestart = Duration.ofNanos(annotated - changed);
        System.out.printf("propagation of a KV write through Lanyard: Secret updated after %d ms, Deployment annotated after %d ms%n",
                toSecret.toMillis(), toRestart.toMillis());
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("token", "v2");
        assertThat(toSecret).isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(toRestart).isLessThanOrEqualTo(Duration.ofSeconds(1));
        assertThat(meters.get("lanyard.sync.propagation").timer().count()).as("propagation recorded").isPositive();

        // The same data again (an announcement that changed nothing) writes nothing and restarts nothing.
        String annotation = restartAnnotation(name);
        String version = admin.secrets().inNamespace(NAMESPACE).withName(name).get().getMetadata().getResourceVersion();
        Long generation = admin.apps().deployments().inNamespace(NAMESPACE).withName(name).get().getMetadata().getGeneration();
        String syncedAt = status(NAMESPACE, name).syncedAt();
        pause(1100);
        broker.changed(SecretChanged.written(SecretRef.of("openbao", path), "2", Clock.systemUTC().instant()));
        await(() -> !syncedAt.equals(status(NAMESPACE, name).syncedAt()));
        pause(500);
        assertThat(admin.secrets().inNamespace(NAMESPACE).withName(name).get().getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(admin.apps().deployments().inNamespace(NAMESPACE).withName(name).get().getMetadata().getGeneration()).isEqualTo(generation);
        assertThat(restartAnnotation(name)).isEqualTo(annotation);
    }

    /**
     * A real rotation (the random strategy, run by the rotation worker through its four steps) reaches the Secret: the
     * finish step writes the new version and announces it, and the Secret carries OpenBao's new value within a second of
     * that step starting.
     */
    @Test
    void aRealRotationReachesTheSecretWithinASecondOfItsFinishStep() {
        String path = kvPath();
        put(path, Map.of("password", "before-rotation"));
        String name = "rotated-" + shortId();
        create(resource(name, NAMESPACE, null, List.of(entry("password", path, "password")), List.of()));
        awaitReason(NAMESPACE, name, "Synced");

        String schedule = given().header("Authorization", callers.bearer("writer")).contentType(ContentType.JSON)
                .body(Map.of("secret", "openbao/" + path, "strategy", "random", "parameters", Map.of("length", 32),
                        "schedule", "rate(30 days)", "window_seconds", 3600))
                .post("/v1/rotations").then().statusCode(201).extract().path("id");
        String run = given().header("Authorization", callers.bearer("writer")).post("/v1/rotations/" + schedule + "/runs")
                .then().statusCode(202).extract().path("id");
        awaitNanos(() -> !"before-rotation".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()).get("password")));
        Instant updated = Instant.now();

        // The finish step writes and announces before the run is marked ended: wait for that mark.
        await(() -> "succeeded".equals(given().header("Authorization", callers.bearer("writer"))
                .get("/v1/rotations/" + schedule + "/runs/" + run).then().statusCode(200).extract().path("state")));
        JsonPath ended = given().header("Authorization", callers.bearer("writer"))
                .get("/v1/rotations/" + schedule + "/runs/" + run).then().statusCode(200).extract().jsonPath();
        String rotated = openBao.cli("kv", "get", "-field=password", path).strip();
        assertThat(rotated).hasSize(32);
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("password", rotated);
        Instant finishStarted = Instant.parse(ended.getString("steps.find { it.step == 'finish' }.started_at"));
        Duration latency = Duration.between(finishStarted, updated);
        System.out.printf("propagation of a real rotation: Secret updated %d ms after the finish step started%n", latency.toMillis());
        assertThat(latency).isLessThanOrEqualTo(Duration.ofSeconds(1));
        await(() -> ended.getString("pending_version").equals(status(NAMESPACE, name).syncedVersions().getFirst().version()));
    }

    @Test
    void twoSecretsOfOneDeploymentChangingTogetherRollItOutOnce() {
        kube.startControllerManager(EnumSet.of(KubeController.DEPLOYMENT, KubeController.REPLICA_SET));
        String first = kvPath();
        String second = kvPath();
        put(first, Map.of("a", "1"));
        put(second, Map.of("b", "1"));
        String app = "rolled-" + shortId();
        deployment(NAMESPACE, app);
        create(resource(app + "-a", NAMESPACE, null, List.of(entry("a", first, "a")), List.of(new RestartTarget("Deployment", app))));
        create(resource(app + "-b", NAMESPACE, null, List.of(entry("b", second, "b")), List.of(new RestartTarget("Deployment", app))));
        awaitReason(NAMESPACE, app + "-a", "Synced");
        awaitReason(NAMESPACE, app + "-b", "Synced");
        await(() -> replicaSets(app) == 1);

        // Two rotations finishing together: both new versions are written, then both announced.
        openBao.cli("kv", "put", first, "a=2");
        openBao.cli("kv", "put", second, "b=2");
        broker.changed(SecretChanged.rotated(SecretRef.of("openbao", first), "2", Clock.systemUTC().instant()));
        broker.changed(SecretChanged.rotated(SecretRef.of("openbao", second), "2", Clock.systemUTC().instant()));
        await(() -> "2".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName(app + "-a").get()).get("a"))
                && "2".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName(app + "-b").get()).get("b")));
        await(() -> replicaSets(app) == 2);
        pause(3000);
        assertThat(replicaSets(app)).as("one new ReplicaSet for the two Secrets").isEqualTo(2);
    }

    @Test
    void aHandEditIsRevertedAndReported() {
        String path = kvPath();
        put(path, Map.of("password", "from-lanyard"));
        String name = "drift-" + shortId();
        create(resource(name, NAMESPACE, null, List.of(entry("password", path, "password")), List.of()));
        String hmac = awaitReason(NAMESPACE, name, "Synced").dataHmac();

        Secret edited = admin.secrets().inNamespace(NAMESPACE).withName(name).edit(secret -> new SecretBuilder(secret)
                .addToData("password", base64("typed-by-hand")).addToData("extra", base64("x")).build());
        await(() -> decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()).equals(Map.of("password", "from-lanyard")));
        assertThat(edited.getMetadata().getResourceVersion()).isNotNull();
        await(() -> events(name).stream().anyMatch(e -> "DriftReverted".equals(e.getReason())));
        assertThat(status(NAMESPACE, name).dataHmac()).isEqualTo(hmac);
    }

    @Test
    void aForeignSecretOfTheSameNameIsNotOwnedAndLeftUntouched() {
        String path = kvPath();
        put(path, Map.of("k", "lanyard-value"));
        String name = "foreign-" + shortId();
        admin.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToData("k", base64("theirs")).build()).create();
        create(resource(name, NAMESPACE, null, List.of(entry("k", path, "k")), List.of()));

        awaitReason(NAMESPACE, name, "NotOwned");
        await(() -> events(name).stream().anyMatch(e -> "NotOwned".equals(e.getReason()) && "Warning".equals(e.getType())));
        Secret secret = admin.secrets().inNamespace(NAMESPACE).withName(name).get();
        assertThat(decoded(secret)).containsExactly(Map.entry("k", "theirs"));
        assertThat(secret.getMetadata().getLabels()).isNullOrEmpty();
    }

    @Test
    void mergeWritesOnlyTheKeysItManages() {
        String path = kvPath();
        put(path, Map.of("db", "merged-1"));
        String name = "merge-" + shortId();
        admin.secrets().inNamespace(NAMESPACE).resource(new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToData("own", base64("kept")).build()).create();
        create(resource(name, NAMESPACE, new SecretTarget(null, CreationPolicy.Merge, DeletionPolicy.Retain, null, false, null),
                List.of(entry("db", path, "db")), List.of()));
        awaitReason(NAMESPACE, name, "Synced");
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()))
                .containsExactlyInAnyOrderEntriesOf(Map.of("own", "kept", "db", "merged-1"));

        put(path, Map.of("db", "merged-2"));
        await(() -> "merged-2".equals(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()).get("db")));
        Secret secret = admin.secrets().inNamespace(NAMESPACE).withName(name).get();
        assertThat(decoded(secret)).containsEntry("own", "kept");
        assertThat(secret.getMetadata().getLabels()).isNullOrEmpty();
    }

    @Test
    void retainKeepsTheSecretWhenTheResourceGoes() {
        String path = kvPath();
        put(path, Map.of("k", "retained"));
        String name = "retain-" + shortId();
        create(resource(name, NAMESPACE, null, List.of(entry("k", path, "k")), List.of()));
        awaitReason(NAMESPACE, name, "Synced");
        assertThat(admin.secrets().inNamespace(NAMESPACE).withName(name).get().getMetadata().getOwnerReferences()).isNullOrEmpty();

        externalSecrets(NAMESPACE).withName(name).delete();
        await(() -> externalSecrets(NAMESPACE).withName(name).get() == null);
        pause(1000);
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("k", "retained");
    }

    @Test
    void aNamespaceWithoutAPolicyIsDeniedAuditedAndGetsNoSecret() {
        String path = kvPath();
        put(path, Map.of("k", "not-for-you"));
        String namespace = ExternalSecretProfile.LOCKED_NAMESPACE;
        kube.createNamespace(namespace);
        String name = "denied-" + shortId();
        create(resource(name, namespace, null, List.of(entry("k", path, "k")), List.of()));

        ExternalSecretStatus status = awaitReason(namespace, name, "Denied");
        assertThat(status.conditions().getFirst().message()).contains("sa:" + namespace + "/app").doesNotContain("not-for-you");
        assertThat(admin.secrets().inNamespace(namespace).withName(name).get()).isNull();
        List<Map<String, Object>> rows = audit.query("select * from audit_event where detail = ?", "ExternalSecret " + namespace + "/" + name);
        assertThat(rows).isNotEmpty().allSatisfy(row -> assertThat(row)
                .containsEntry("outcome", "denied").containsEntry("subject", "sa:" + namespace + "/app"));
    }

    @Test
    void aBackendOutageKeepsTheLastGoodData() {
        doomed.cli("kv", "put", "secret/outage", "k=last-good");
        String name = "outage-" + shortId();
        create(resource(name, NAMESPACE, null, List.of(new DataEntry("k", new RemoteRef("doomed", "secret/outage", "k", null))), List.of()));
        awaitReason(NAMESPACE, name, "Synced");

        doomed.stop();
        broker.changed(SecretChanged.written(SecretRef.of("doomed", "secret/outage"), "2", Clock.systemUTC().instant()));
        ExternalSecretStatus status = awaitReason(NAMESPACE, name, "BackendUnavailable");
        assertThat(status.conditions().getFirst().message()).contains("doomed").doesNotContain("last-good");
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("k", "last-good");
        await(() -> events(name).stream().anyMatch(e -> "BackendUnavailable".equals(e.getReason())));
    }

    /**
     * A secret really deleted at the backend leaves Secrets only for resources that opted in (notFoundPolicy Merge or
     * Delete), only once confirmed, and only once the backend has shown it still serves other secrets: until a value
     * of another secret is fetched from it after this one went missing, the removal is refused.
     */
    @Test
    void aSecretDeletedAtTheBackendLeavesOptedInSecretsOnlyOnceConfirmedAndTheBackendServesOthers() {
        String path = kvPath();
        String other = kvPath();
        put(path, Map.of("gone", "still-here"));
        put(other, Map.of("stays", "yes"));
        String name = "notfound-" + shortId();
        String deleted = "notfound-delete-" + shortId();
        create(resource(name, NAMESPACE, new SecretTarget(null, CreationPolicy.Owner, DeletionPolicy.Retain, NotFoundPolicy.Merge, false, null),
                List.of(entry("gone", path, "gone"), entry("stays", other, "stays")), List.of()));
        create(resource(deleted, NAMESPACE, new SecretTarget(null, CreationPolicy.Owner, DeletionPolicy.Retain, NotFoundPolicy.Delete, false, null),
                List.of(entry("gone", path, "gone")), List.of()));
        awaitReason(NAMESPACE, name, "Synced");
        awaitReason(NAMESPACE, deleted, "Synced");

        openBao.cli("kv", "metadata", "delete", path);
        broker.changed(SecretChanged.written(SecretRef.of("openbao", path), "1", Clock.systemUTC().instant()));
        ExternalSecretStatus pending = awaitReason(NAMESPACE, name, "NotFoundPending");
        assertThat(pending.notFoundRefreshes()).isEqualTo(1);
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("gone", "still-here");

        // Confirmed, but "stays" comes from the broker's cache, fetched before "gone" went missing: no evidence yet.
        ExternalSecretStatus refused = awaitReason(NAMESPACE, name, "RemovalRefused");
        assertThat(refused.notFoundRefreshes()).isGreaterThanOrEqualTo(ExternalSecretProfile.NOT_FOUND_CONFIRMATIONS);
        assertThat(refused.conditions().getFirst().message()).contains("backend openbao has served no other secret since");
        awaitReason(NAMESPACE, deleted, "RemovalRefused");
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get())).containsEntry("gone", "still-here");
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(deleted).get())).containsEntry("gone", "still-here");

        // A new version of the other secret is fetched from the backend: it serves secrets, "gone" really is gone.
        put(other, Map.of("stays", "yes, again"));
        ExternalSecretStatus confirmed = awaitReason(NAMESPACE, name, "NotFoundConfirmed");
        assertThat(confirmed.notFoundRefreshes()).isGreaterThanOrEqualTo(ExternalSecretProfile.NOT_FOUND_CONFIRMATIONS);
        assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()))
                .containsExactlyEntriesOf(Map.of("stays", "yes, again"));
        await(() -> events(name).stream().anyMatch(e -> "NotFoundConfirmed".equals(e.getReason())));
        assertThat(awaitReason(NAMESPACE, deleted, "NotFoundConfirmed").conditions().getFirst().message())
                .contains("was deleted (notFoundPolicy Delete)");
        assertThat(admin.secrets().inNamespace(NAMESPACE).withName(deleted).get()).isNull();
    }

    /** {@code lanyard_sync_resources{reason=...}} as this Lanyard exports it, 0 when absent. */
    private static double syncResources(String reason) {
        return given().when().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(line -> line.startsWith("lanyard_sync_resources{") && line.contains("reason=\"" + reason + "\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(0);
    }

    /**
     * Issue 21 item 8, tried from outside: {@code bao secrets disable} on the mount behind synced resources. No
     * resource loses a key however many refreshes pass (the mount is missing: unavailable, not "not found"), and
     * readiness names the mount. Re-created empty, the mount answers "not found" for every secret: the default policy
     * keeps the data, and those that opted into removal are refused it, since the backend serves nothing.
     */
    @Test
    void aDisabledMountEmptiesNoSecretAndARecreatedEmptyOneIsRefusedRemoval() {
        String mount = ExternalSecretProfile.BLAST_MOUNT;
        openBao.cli("secrets", "enable", "-path=" + mount, "kv-v2");
        String run = shortId();
        Map<String, NotFoundPolicy> policies = Map.of("blast-merge-" + run, NotFoundPolicy.Merge,
                "blast-delete-" + run, NotFoundPolicy.Delete, "blast-retain-" + run, NotFoundPolicy.Retain);
        Map<String, String> paths = new TreeMap<>();
        policies.forEach((name, policy) -> {
            String path = mount + "/apps/" + name;
            paths.put(name, path);
            openBao.cli("kv", "put", path, "k=" + name);
            create(resource(name, NAMESPACE, new SecretTarget(null, CreationPolicy.Owner, DeletionPolicy.Retain, policy, false, null),
                    List.of(new DataEntry("k", new RemoteRef("blast", path, "k", null))), List.of()));
        });
        paths.keySet().forEach(name -> awaitReason(NAMESPACE, name, "Synced"));

        openBao.cli("secrets", "disable", mount);
        for (int refresh = 0; refresh <= ExternalSecretProfile.NOT_FOUND_CONFIRMATIONS + 1; refresh++) {
            paths.values().forEach(path -> broker.changed(SecretChanged.written(SecretRef.of("blast", path), "2", Clock.systemUTC().instant())));
            paths.keySet().forEach(name -> awaitReason(NAMESPACE, name, "BackendUnavailable"));
            if (refresh == 0) {
                // later rounds may find the broker's circuit open after so many failures, and say that instead
                paths.keySet().forEach(name -> assertThat(status(NAMESPACE, name).conditions().getFirst().message())
                        .contains("mount '" + mount + "' is missing"));
            }
            pause(1100);
        }
        paths.keySet().forEach(name -> assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()))
                .as(name).containsExactly(Map.entry("k", name)));
        given().when().get("/q/health/ready").then().statusCode(503)
                .body(org.hamcrest.Matchers.containsString("DOWN: mount '" + mount + "' is missing"));
        // ...and the metric the alerts read counts them as unavailable (published on the controller's 10 s timer)
        await(() -> syncResources("BackendUnavailable") >= paths.size());

        openBao.cli("secrets", "enable", "-path=" + mount, "kv-v2");
        paths.values().forEach(path -> broker.changed(SecretChanged.written(SecretRef.of("blast", path), "3", Clock.systemUTC().instant())));
        paths.forEach((name, path) -> {
            String expected = policies.get(name) == NotFoundPolicy.Retain ? "NotFoundRetained" : "RemovalRefused";
            ExternalSecretStatus status = awaitReason(NAMESPACE, name, expected);
            assertThat(status.notFoundRefreshes()).isGreaterThanOrEqualTo(ExternalSecretProfile.NOT_FOUND_CONFIRMATIONS);
            assertThat(status.conditions().getFirst().message()).as(name).contains(expected.equals("RemovalRefused") ? "backend blast" : "keeps all its data");
        });
        pause(2000);
        paths.keySet().forEach(name -> assertThat(decoded(admin.secrets().inNamespace(NAMESPACE).withName(name).get()))
                .as(name).containsExactly(Map.entry("k", name)));
        paths.keySet().forEach(name -> await(() -> events(name).stream().anyMatch(e -> "RemovalRefused".equals(e.getReason())
                || "NotFoundRetained".equals(e.getReason()))));
        given().when().get("/q/health/ready").then().body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("mount '" + mount + "'")));

        // The secrets come back: everything is Synced again, nothing was lost on the way.
        paths.forEach((name, path) -> openBao.cli("kv", "put", path, "k=" + name));
        paths.values().forEach(path -> broker.changed(SecretChanged.written(SecretRef.of("blast", path), "1", Clock.systemUTC().instant())));
        paths.keySet().forEach(name -> awaitReason(NAMESPACE, name, "Synced"));
        paths.keySet().forEach(name -> externalSecrets(NAMESPACE).withName(name).delete());
    }

    @Test
    void dataFromExtractCreatedOnceAndImmutableIsWrittenOnceAndNeverAgain() {
        String path = kvPath();
        put(path, Map.of("host", "db.internal", "port", "5432"));
        String name = "once-" + shortId();
        ExternalSecret resource = resource(name, NAMESPACE, new SecretTarget(null, CreationPolicy.Owner, DeletionPolicy.Retain, null, true, null),
                null, List.of());
        resource.setSpec(new ExternalSecretSpec("app", RefreshPolicy.CreatedOnce, null, null,
                List.of(new DataFrom(new RemoteRef("openbao", path, null, null), null)), resource.getSpec().target(), null));
        create(resource);
        awaitReason(NAMESPACE, name, "Synced");
        Secret secret = admin.secrets().inNamespace(NAMESPACE).withName(name).get();
        assertThat(decoded(secret)).containsExactlyInAnyOrderEntriesOf(Map.of("host", "db.internal", "port", "5432"));
        assertThat(secret.getImmutable()).isTrue();

        // the change is announced and the resource reconciled, but CreatedOnce reads nothing and writes nothing
        put(path, Map.of("host", "db2.internal", "port", "5432"));
        await(() -> status(NAMESPACE, name).conditions().getFirst().message().startsWith("created once"));
        Secret after = admin.secrets().inNamespace(NAMESPACE).withName(name).get();
        assertThat(after.getMetadata().getResourceVersion()).isEqualTo(secret.getMetadata().getResourceVersion());
        assertThat(decoded(after)).containsEntry("host", "db.internal");
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    static MixedOperation<ExternalSecret, KubernetesResourceList<ExternalSecret>, Resource<ExternalSecret>> externalSecrets(
            KubernetesClient client) {
        return client.resources(ExternalSecret.class);
    }

    private Resource<ExternalSecret> externalSecretResource(String namespace, String name) {
        return externalSecrets(admin).inNamespace(namespace).withName(name);
    }

    private NonNamespaceOperation<ExternalSecret, KubernetesResourceList<ExternalSecret>, Resource<ExternalSecret>> externalSecrets(String namespace) {
        return externalSecrets(admin).inNamespace(namespace);
    }

    private void create(ExternalSecret resource) {
        externalSecrets(admin).inNamespace(resource.getMetadata().getNamespace()).resource(resource).create();
    }

    static ExternalSecret resource(String name, String namespace, SecretTarget target, List<DataEntry> data, List<RestartTarget> restarts) {
        ExternalSecret resource = new ExternalSecret();
        resource.getMetadata().setName(name);
        resource.getMetadata().setNamespace(namespace);
        resource.setSpec(new ExternalSecretSpec("app", RefreshPolicy.OnChange, null, data, null, target,
                restarts.isEmpty() ? null : restarts));
        return resource;
    }

    static DataEntry entry(String key, String path, String property) {
        return new DataEntry(key, new RemoteRef("openbao", path, property, null));
    }

    private ExternalSecretStatus status(String namespace, String name) {
        ExternalSecret resource = externalSecretResource(namespace, name).get();
        return resource == null ? null : resource.getStatus();
    }

    private ExternalSecretStatus awaitReason(String namespace, String name, String reason) {
        await(() -> {
            ExternalSecretStatus status = status(namespace, name);
            return status != null && reason.equals(status.conditions().getFirst().reason());
        });
        return status(namespace, name);
    }

    private List<Event> events(String name) {
        return admin.v1().events().inNamespace(NAMESPACE).withField("involvedObject.name", name).list().getItems();
    }

    private void deployment(String namespace, String name) {
        Deployment deployment = new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("registry.invalid/app:1").endContainer().endSpec()
                .endTemplate().endSpec().build();
        admin.apps().deployments().inNamespace(namespace).resource(deployment).create();
    }

    private String restartAnnotation(String deployment) {
        Map<String, String> annotations = admin.apps().deployments().inNamespace(NAMESPACE).withName(deployment).get()
                .getSpec().getTemplate().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get("lanyard.dev/restarted-for");
    }

    private long replicaSets(String app) {
        return admin.apps().replicaSets().inNamespace(NAMESPACE).withLabel("app", app).list().getItems().size();
    }

    private void put(String path, Map<String, String> data) {
        given().header("Authorization", callers.bearer("writer")).contentType(ContentType.JSON)
                .body(Map.of("data", data)).when().put("/v1/secrets/openbao/" + path)
                .then().statusCode(200);
    }

    static String kvPath() {
        return "secret/written/k8s/" + shortId();
    }

    static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, String> decoded(Secret secret) {
        Map<String, String> data = new TreeMap<>();
        if (secret != null && secret.getData() != null) {
            secret.getData().forEach((k, v) -> data.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        }
        return data;
    }

    private static String base64(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    static void await(Supplier<Boolean> condition) {
        awaitNanos(condition);
    }

    /** Polls every 10 ms until the condition holds, for at most 30 s; returns System.nanoTime() when it first held. */
    static long awaitNanos(Supplier<Boolean> condition) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (true) {
            if (Boolean.TRUE.equals(condition.get())) {
                return System.nanoTime();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + SETTLE);
            }
            pause(10);
        }
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
