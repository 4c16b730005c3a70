package dev.lanyard.k8s;

import dev.lanyard.k8s.ExternalSecretSpec.RestartTarget;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * Restarts workloads whose Secrets' data changed, by annotating their pod template with a digest of the data HMACs
 * that changed (never a timestamp, so the same data twice is the same annotation and no restart). Requests for one
 * workload are gathered while any other resource restarting it is still queued by the same wave of changes (and for a
 * short quiet period), so the Secrets of one wave restart it once however many of them changed; then the workload is
 * patched once, and only when the annotation differs.
 */
final class RolloutRestarts {

    private static final Logger LOG = Logger.getLogger(RolloutRestarts.class);
    static final String ANNOTATION = "lanyard.dev/restarted-for";
    /** However busy the wave, a workload waits at most this long for its restart. */
    private static final Duration MAX_GATHER = Duration.ofSeconds(2);

    record Workload(String namespace, String kind, String name) {}

    /** The changes gathered for one workload: each resource's new data HMAC, and when the first came. */
    private static final class Pending {
        final Map<String, String> changes = new TreeMap<>();
        final long firstNanos = System.nanoTime();
        ScheduledFuture<?> flush;
    }

    private static final Duration RECHECK = Duration.ofMillis(20);

    private final KubernetesClient client;
    private final ScheduledExecutorService timer;
    private final Duration quiet;
    /** Restarts are patched only while it holds: those still gathered when it ends are dropped. */
    private final LeaderTerm term;
    private final BiConsumer<String, String> onFailure;
    private final Function<Workload, List<String>> restartedBy;
    private final Map<Workload, Pending> pending = new ConcurrentHashMap<>();
    /** Resources a wave of changes queued and that have not reconciled since. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();

    /**
     * @param restartedBy the resources (keys) that name the workload as a restart target
     * @param onFailure   told the resource key and a safe message when a restart it asked for failed
     */
    RolloutRestarts(KubernetesClient client, ScheduledExecutorService timer, Duration quiet, LeaderTerm term,
                    Function<Workload, List<String>> restartedBy, BiConsumer<String, String> onFailure) {
        this.client = client;
        this.timer = timer;
        this.quiet = quiet;
        this.term = term;
        this.restartedBy = restartedBy;
        this.onFailure = onFailure;
    }

    /** A wave of changes queued the resource for a refresh. */
    void queued(String resource) {
        queued.add(resource);
    }

    /** The resource reconciled (whatever the outcome): it no longer holds back its workloads' restarts. */
    void reconciled(String resource) {
        queued.remove(resource);
    }

    /** The resource {@code resourceKey}'s data changed to {@code dataHmac}: restart each of its targets, once per wave. */
    void request(ExternalSecret resource, String dataHmac) {
        for (RestartTarget target : resource.getSpec().restartTargets()) {
            Workload workload = new Workload(resource.getMetadata().getNamespace(), target.kind(), target.name());
            pending.compute(workload, (key, gathered) -> {
                Pending next = gathered == null ? new Pending() : gathered;
                next.changes.put(resource.key(), dataHmac);
                if (next.flush != null) {
                    next.flush.cancel(false);
                }
                long waited = System.nanoTime() - next.firstNanos;
                long delay = Math.max(0, Math.min(quiet.toNanos(), MAX_GATHER.toNanos() - waited));
                next.flush = timer.schedule(() -> flush(workload), delay, TimeUnit.NANOSECONDS);
                return next;
            });
        }
    }

    private void flush(Workload workload) {
        Pending waiting = pending.get(workload);
        if (waiting == null) {
            return;
        }
        boolean gathering = System.nanoTime() - waiting.firstNanos < MAX_GATHER.toNanos();
        if (gathering && restartedBy.apply(workload).stream().anyMatch(queued::contains)) {
            // another Secret of this workload is still to come in this wave
            pending.computeIfPresent(workload, (key, gathered) -> {
                gathered.flush = timer.schedule(() -> flush(workload), RECHECK.toNanos(), TimeUnit.NANOSECONDS);
                return gathered;
            });
            return;
        }
        Pending gathered = pending.remove(workload);
        if (gathered == null || !term.holds()) {
            return;
        }
        String digest = digest(gathered.changes);
        try {
            Resource<? extends HasMetadata> handle = switch (workload.kind()) {
                case "Deployment" -> client.apps().deployments().inNamespace(workload.namespace()).withName(workload.name());
                case "StatefulSet" -> client.apps().statefulSets().inNamespace(workload.namespace()).withName(workload.name());
                case "DaemonSet" -> client.apps().daemonSets().inNamespace(workload.namespace()).withName(workload.name());
                default -> throw new IllegalArgumentException("not a restartable kind: " + workload.kind());
            };
            HasMetadata current = handle.get();
            if (current == null) {
                fail(gathered, workload, workload.kind() + " " + workload.name() + " does not exist");
                return;
            }
            PodTemplateSpec template = template(current);
            Map<String, String> annotations = template == null || template.getMetadata() == null
                    ? null : template.getMetadata().getAnnotations();
            if (annotations != null && digest.equals(annotations.get(ANNOTATION))) {
                return;
            }
            term.check();
            handle.patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + digest + "\"}}}}}");
        } catch (LeaderTerm.Deposed deposed) {
            LOG.debugf("restart of %s %s/%s dropped: %s", workload.kind(), workload.namespace(), workload.name(), deposed.getMessage());
        } catch (KubernetesClientException e) {
            fail(gathered, workload, "the API server answered " + e.getCode() + " to the restart of " + workload.kind() + " " + workload.name());
        } catch (RuntimeException e) {
            LOG.warnf("restart of %s %s/%s failed: %s", workload.kind(), workload.namespace(), workload.name(), e.getClass().getSimpleName());
            fail(gathered, workload, "the restart of " + workload.kind() + " " + workload.name() + " failed");
        }
    }

    private void fail(Pending gathered, Workload workload, String message) {
        LOG.warnf("rollout restart of %s %s/%s: %s", workload.kind(), workload.namespace(), workload.name(), message);
        gathered.changes.keySet().forEach(resource -> onFailure.accept(resource, message));
    }

    private static PodTemplateSpec template(HasMetadata workload) {
        return switch (workload) {
            case Deployment d -> d.getSpec().getTemplate();
            case StatefulSet s -> s.getSpec().getTemplate();
            case DaemonSet d -> d.getSpec().getTemplate();
            default -> null;
        };
    }

    /** A digest of HMACs: it reveals nothing the HMACs do not, and changes exactly when one of them does. */
    static String digest(Map<String, String> changes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            changes.forEach((resource, hmac) -> sha.update((resource + "=" + hmac + "\n").getBytes(StandardCharsets.UTF_8)));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
