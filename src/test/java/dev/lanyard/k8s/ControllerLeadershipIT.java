package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.k8s.ExternalSecretSpec.RefreshPolicy;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The controller's leadership against a real kube-apiserver: a leader whose traffic to the API server is blocked (a
 * loopback proxy, the process untouched) ends its term before anyone may take the Lease over, campaigns again, and
 * follows, then leads, once the traffic is back; and a Secret write that lost its term, or a race with a newer
 * write, is not applied.
 */
class ControllerLeadershipIT {

    private static final String NAMESPACE = "lanyard";
    private static final Duration LEASE = Duration.ofSeconds(4);
    private static final Duration RENEW_DEADLINE = Duration.ofSeconds(3);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private static KubeApiServer kube;

    @BeforeAll
    static void startApiServer() {
        kube = KubeApiServer.start();
        kube.createNamespace(NAMESPACE);
    }

    @AfterAll
    static void stopApiServer() {
        if (kube != null) {
            kube.close();
        }
    }

    /** The election's settings, as the tests' processes use them. */
    private record Election(String leaseName) implements SyncConfig.LeaderElection {
        @Override public boolean enabled() { return true; }
        @Override public Optional<String> leaseNamespace() { return Optional.of(NAMESPACE); }
        @Override public Optional<String> identity() { return Optional.empty(); }
        @Override public Duration leaseDuration() { return LEASE; }
        @Override public Duration renewDeadline() { return RENEW_DEADLINE; }
        @Override public Duration retryPeriod() { return RETRY; }
    }

    /** What a listener was told, in order. */
    private static final class Terms implements ControllerLeadership.Listener {
        final List<String> told = new CopyOnWriteArrayList<>();
        /** Terms that did not hold when the listener was told they had started. */
        final List<String> staleElections = new CopyOnWriteArrayList<>();
        volatile LeaderTerm current;
        volatile long electedAt;
        volatile long deposedAt;

        @Override
        public void elected(LeaderTerm term) {
            if (!term.holds()) {
                staleElections.add("term " + term.number());
            }
            current = term;
            electedAt = System.nanoTime();
            told.add("elected " + term.number());
        }

        @Override
        public void deposed(LeaderTerm term, String why) {
            deposedAt = System.nanoTime();
            told.add("deposed " + term.number());
            current = null;
        }
    }

    @Test
    void aLeaderCutOffFromTheApiServerStepsDownInTimeAndCampaignsAgain() throws Exception {
        URIParts api = URIParts.of(kube.url());
        try (PausableProxy proxy = new PausableProxy(api.host(), api.port());
             KubernetesClient throughProxy = new KubernetesClientBuilder().withConfig(new ConfigBuilder(kube.adminConfig())
                     .withMasterUrl("https://127.0.0.1:" + proxy.port()).build()).build()) {
            Terms a = new Terms();
            Terms b = new Terms();
            Election election = new Election("leadership-test");
            ControllerLeadership first = new ControllerLeadership(throughProxy, election, NAMESPACE, "replica-a", a, System::nanoTime);
            ControllerLeadership second = new ControllerLeadership(kube.adminClient(), election, NAMESPACE, "replica-b", b, System::nanoTime);
            try {
                first.start();
                await(() -> a.current != null);
                second.start();
                Thread.sleep(RETRY.multipliedBy(2).toMillis());
                assertThat(b.told).as("a follower while the leader renews").isEmpty();

                LeaderTerm cutOff = a.current;
                proxy.pause();
                long paused = System.nanoTime();
                await(() -> !cutOff.holds());
                Duration stopped = Duration.ofNanos(System.nanoTime() - paused);
                await(() -> a.current == null);
                await(() -> b.current != null);
                Duration takenOver = Duration.ofNanos(b.electedAt - paused);
                assertThat(stopped).as("the term ends before the Lease can be taken over").isLessThan(LEASE);
                assertThat(b.electedAt - a.deposedAt).as("deposed before the next leader was elected").isPositive();

                proxy.resume();
                long resumed = System.nanoTime();
                Thread.sleep(RETRY.multipliedBy(3).toMillis());
                assertThat(a.current).as("the Lease is taken: a follower again").isNull();
                assertThat(cutOff.holds()).as("an ended term never holds again").isFalse();

                second.close();
                await(() -> a.current != null);
                await(() -> b.told.size() == 2);
                Duration back = Duration.ofNanos(a.electedAt - resumed);
                System.out.printf("leadership through a blocked proxy: term ended %d ms after the block (renew deadline %d s),"
                                + " the other replica elected %d ms after it (lease %d s); the first leads again %d ms after"
                                + " the traffic returned, once the other released the Lease%n", stopped.toMillis(),
                        RENEW_DEADLINE.toSeconds(), takenOver.toMillis(), LEASE.toSeconds(), back.toMillis());
                assertThat(a.told).containsExactly("elected 1", "deposed 1", "elected 2");
                assertThat(b.told).containsExactly("elected 1", "deposed 1");
            } finally {
                first.close();
                second.close();
            }
        }
    }

    /**
     * The one replica, cut off and back: nobody took the Lease, which still names it. fabric8 says "leading" as soon as
     * it reads its own name there, before renewing; the new term must start only with a renewal that succeeded, so that
     * it holds when it starts and is not deposed again at once.
     */
    @Test
    void aLoneLeaderCutOffLeadsAgainInOneNewTermOnceItRenews() throws Exception {
        URIParts api = URIParts.of(kube.url());
        Terms a = new Terms();
        try (PausableProxy proxy = new PausableProxy(api.host(), api.port());
             KubernetesClient throughProxy = new KubernetesClientBuilder().withConfig(new ConfigBuilder(kube.adminConfig())
                     .withMasterUrl("https://127.0.0.1:" + proxy.port()).build()).build();
             ControllerLeadership alone = new ControllerLeadership(throughProxy, new Election("leadership-alone"), NAMESPACE,
                     "replica-alone", a, System::nanoTime)) {
            alone.start();
            await(() -> a.current != null);
            LeaderTerm cutOff = a.current;
            proxy.pause();
            await(() -> a.current == null);
            Thread.sleep(LEASE.toMillis());
            assertThat(kube.adminClient().leases().inNamespace(NAMESPACE).withName("leadership-alone").get().getSpec()
                    .getHolderIdentity()).as("nobody took the Lease").isEqualTo("replica-alone");

            proxy.resume();
            long resumed = System.nanoTime();
            await(() -> a.current != null);
            Thread.sleep(RETRY.multipliedBy(3).toMillis());
            System.out.printf("a lone leader cut off for %d ms leads again %d ms after its traffic returned%n",
                    LEASE.toMillis(), Duration.ofNanos(a.electedAt - resumed).toMillis());
            assertThat(cutOff.holds()).isFalse();
            assertThat(a.staleElections).as("terms that did not hold when they started").isEmpty();
            assertThat(a.told).containsExactly("elected 1", "deposed 1", "elected 2");
            assertThat(a.current.holds()).isTrue();
        }
    }

    @Test
    void aWriteThatLostItsTermOrARaceIsNotApplied() {
        KubernetesClient admin = kube.adminClient();
        ExternalSecret resource = new ExternalSecret();
        resource.getMetadata().setName("fenced");
        resource.getMetadata().setNamespace(NAMESPACE);
        resource.setSpec(new ExternalSecretSpec("app", RefreshPolicy.OnChange, null, List.of(), null, null, null));
        TargetSecrets leader = new TargetSecrets(admin, LeaderTerm.uncontested());

        leader.apply(resource, null, Map.of("k", bytes("one")), "hmac-one");
        Secret readByTheOldLeader = leader.current(resource);
        leader.apply(resource, readByTheOldLeader, Map.of("k", bytes("two")), "hmac-two");

        // The old leader's write went out while its term held and arrived after the newer one: the API server refuses
        // it (stale resource version), and by then the term has ended, so it is not tried again.
        AtomicInteger asked = new AtomicInteger();
        LeaderTerm ending = new LeaderTerm(7, () -> asked.getAndIncrement() == 0 ? 0 : Long.MAX_VALUE / 2, 0, RENEW_DEADLINE.toNanos());
        assertThatThrownBy(() -> new TargetSecrets(admin, ending).apply(resource, readByTheOldLeader, Map.of("k", bytes("stale")), "hmac-stale"))
                .isInstanceOf(LeaderTerm.Deposed.class);
        assertThat(value(admin)).isEqualTo("two");

        // A leader whose term holds and who read an older version reads again and applies.
        leader.apply(resource, readByTheOldLeader, Map.of("k", bytes("three")), "hmac-three");
        assertThat(value(admin)).isEqualTo("three");

        LeaderTerm ended = LeaderTerm.uncontested();
        ended.end();
        TargetSecrets deposed = new TargetSecrets(admin, ended);
        assertThatThrownBy(() -> deposed.apply(resource, leader.current(resource), Map.of("k", bytes("four")), "hmac-four"))
                .isInstanceOf(LeaderTerm.Deposed.class);
        assertThatThrownBy(() -> deposed.delete(resource)).isInstanceOf(LeaderTerm.Deposed.class);
        assertThat(value(admin)).isEqualTo("three");
    }

    private static String value(KubernetesClient admin) {
        Secret secret = admin.secrets().inNamespace(NAMESPACE).withName("fenced").get();
        return new String(Base64.getDecoder().decode(secret.getData().get("k")), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.sleep(20);
        }
    }

    private record URIParts(String host, int port) {
        static URIParts of(String url) {
            java.net.URI uri = java.net.URI.create(url);
            return new URIParts(uri.getHost(), uri.getPort());
        }
    }
}
