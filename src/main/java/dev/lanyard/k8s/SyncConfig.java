package dev.lanyard.k8s;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The ExternalSecret controller (see k8s-external-secrets/). Off by default: Lanyard runs without a cluster, and
 * only a deployment inside one (or a test against a real kube-apiserver) turns it on. It connects with
 * quarkus-kubernetes-client: in a Pod, as the Pod's ServiceAccount with nothing to configure; elsewhere through the
 * {@link #cluster()} properties, which are read at run time (quarkus-kubernetes-client's own are fixed at build time).
 */
@ConfigMapping(prefix = "lanyard.k8s")
public interface SyncConfig {

    /** Runs the controller. When false nothing connects to Kubernetes. */
    @WithDefault("false")
    boolean enabled();

    /**
     * Reference ({@code file:} or {@code env:}) to the base64 key, at least 32 bytes, under which the controller
     * HMACs synced data into {@code status.dataHmac}. Required when enabled; every replica needs the same key.
     */
    Optional<String> hmacKey();

    /** Where the API server is, and who the controller is there, when not the Pod's own (see {@link ClusterConnection}). */
    Cluster cluster();

    interface Cluster {
        /** The API server's URL; in a Pod, the in-cluster address when unset. */
        Optional<String> apiServerUrl();

        /** Reference ({@code file:} or {@code env:}) to the bearer token; in a Pod, its projected ServiceAccount token when unset. */
        Optional<String> token();

        /** PEM file of the CA that signed the API server's certificate. */
        Optional<String> caCertFile();

        /** The controller's own namespace, where its leader-election Lease lives; in a Pod, the Pod's namespace when unset. */
        Optional<String> namespace();
    }

    /** Namespaces watched; all (with the all-namespaces binding) when empty. */
    Optional<Set<String>> namespaces();

    /** Reconciles running at once. Each waits on the broker, not on a CPU. */
    @WithDefault("16")
    int reconcileThreads();

    /** The controller's reads through the broker, per second and per backend (a token bucket of one second). */
    @WithDefault("500")
    int readsPerSecondPerBackend();

    /** Consecutive refreshes at which a backend must answer "not found" before the value leaves the Secret. */
    @WithDefault("3")
    int notFoundConfirmations();

    /** How soon a refresh after a "not found" comes, while it is not confirmed. */
    @WithDefault("10s")
    Duration notFoundRecheck();

    /**
     * Backends on which a confirmed "not found" removes values from the Secrets of resources whose
     * {@code notFoundPolicy} is Merge or Delete without evidence that the backend still serves other secrets. Elsewhere
     * (by default, everywhere) nothing is removed until the same backend has served another secret since this one went
     * missing, so a misrouted backend that answers "not found" for everything cannot empty every Secret it feeds in
     * one wave. List a backend here only when all its secrets may legitimately go at once (one holding a single
     * secret, say).
     */
    Optional<Set<String>> backendWideRemoval();

    /** First wait after a failed sync; doubled per consecutive failure, with jitter, up to {@link #backoffMax()}. */
    @WithDefault("2s")
    Duration backoffMin();

    @WithDefault("5m")
    Duration backoffMax();

    /**
     * How long restarts of one workload are gathered: every Secret of a wave that changes within this quiet period
     * of the previous one restarts it once.
     */
    @WithDefault("150ms")
    Duration restartQuietPeriod();

    /**
     * Leader election through a coordination Lease: one replica reconciles at a time. A leader that cannot renew
     * within the renew deadline stops reconciling and campaigns again in the same process; the secrets API never
     * stops for it (see {@link ControllerLeadership}).
     */
    LeaderElection leaderElection();

    interface LeaderElection {
        @WithDefault("true")
        boolean enabled();

        @WithDefault("lanyard-external-secrets")
        String leaseName();

        /** The Lease's namespace; the controller's own namespace when unset. */
        Optional<String> leaseNamespace();

        /** This replica's name in the Lease; its host name and a random suffix when unset. */
        Optional<String> identity();

        /** How long a leader that stopped renewing keeps the Lease: the longest a takeover waits. */
        @WithDefault("15s")
        Duration leaseDuration();

        /**
         * How long a leader goes on without a successful renewal (counted from when the last one started) before it
         * stops reconciling. Shorter than {@link #leaseDuration()}, so that it has stopped before another replica may
         * take the Lease over; the difference is the margin for clock skew and writes already on their way.
         */
        @WithDefault("10s")
        Duration renewDeadline();

        @WithDefault("2s")
        Duration retryPeriod();
    }
}
