package dev.lanyard.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectorBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jboss.logging.Logger;

/**
 * Campaigns for the controller's coordination Lease, leads while this replica holds it, and campaigns again when it
 * loses it, all inside the process: losing the Lease stops the controller, never the secrets API.
 *
 * <p>Each campaign is one fabric8 {@link LeaderElector} (which runs once). Winning starts a {@link LeaderTerm}; the term
 * ends when fabric8 says leadership stopped, or when this class's own watchdog sees that no renewal succeeded within the
 * renew deadline — fabric8 notices only between renewals, and a renewal can hang on an unreachable API server for
 * longer than the deadline. Then the listener stops the controller, the campaign is cancelled, and a new one starts
 * under the same identity: once the API server answers again, this replica becomes a follower of whoever took the
 * Lease, or leads again if nobody did.
 *
 * <p>A cancelled campaign's elector may still finish a request it had sent; its renewals count for no term, and it
 * never releases the Lease ({@code releaseOnCancel} is off). The Lease is released only on shutdown, so that the next
 * leader need not wait out the lease duration.
 */
final class ControllerLeadership implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControllerLeadership.class);
    private static final Duration WATCH = Duration.ofMillis(100);
    private static final Duration RELEASE_WAIT = Duration.ofSeconds(2);

    /** Told, one at a time and in order, when a term starts and when it ends. */
    interface Listener {
        void elected(LeaderTerm term);

        void deposed(LeaderTerm term, String why);
    }

    private final KubernetesClient client;
    private final SyncConfig.LeaderElection config;
    private final String namespace;
    private final String identity;
    private final Listener listener;
    private final LongSupplier nanos;
    private final ExecutorService electors = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().name("lanyard-k8s-lease-", 0).factory());
    /** Runs the listener: a term's start and end never overlap, and a slow start holds up no renewal. */
    private final ExecutorService terms = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("lanyard-k8s-leadership").factory());
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("lanyard-k8s-lease-watch").factory());

    private int campaigns;
    private int elections;
    private LeaderElector elector;
    private CompletableFuture<?> running;
    /** When the last renewal of the current campaign that succeeded started, if {@link #renewedInCampaign}. */
    private long renewedAt;
    private boolean renewedInCampaign;
    /** fabric8 said this replica leads before any renewal of this campaign succeeded: the term starts with the first. */
    private boolean electionPending;
    private LeaderTerm term;
    private boolean closed;

    ControllerLeadership(KubernetesClient client, SyncConfig.LeaderElection config, String namespace, String identity,
                         Listener listener, LongSupplier nanos) {
        this.client = client;
        this.config = config;
        this.namespace = namespace;
        this.identity = identity;
        this.listener = listener;
        this.nanos = nanos;
    }

    void start() {
        campaign();
        watchdog.scheduleWithFixedDelay(this::watch, WATCH.toMillis(), WATCH.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The current term, if this replica leads. */
    synchronized LeaderTerm term() {
        return term;
    }

    private synchronized void campaign() {
        campaign(++campaigns);
    }

    private synchronized void campaign(int campaign) {
        if (closed) {
            return;
        }
        renewedInCampaign = false;
        electionPending = false;
        Lock lease = new RenewalTimes(new LeaseLock(namespace, config.leaseName(), identity), campaign);
        elector = new LeaderElectorBuilder(client, electors).withConfig(new LeaderElectionConfig(lease,
                config.leaseDuration(), config.renewDeadline(), config.retryPeriod(),
                new LeaderCallbacks(() -> elected(campaign), () -> depose(campaign, "the Lease was taken over or could not be renewed"),
                        leader -> LOG.debugf("ExternalSecret controller leader: %s", leader)),
                false, config.leaseName())).build();
        CompletableFuture<?> started = elector.start();
        running = started;
        started.whenComplete((done, failure) -> ended(campaign));
    }

    /**
     * On the elector's thread, inside its renewal: only records the term and hands it on. fabric8 also says so when it
     * merely reads the Lease and finds this replica's name on it (campaigning again after a term ended), before it has
     * renewed anything: then the term starts with the first renewal that succeeds, never on a stale one.
     */
    private synchronized void elected(int campaign) {
        if (closed || campaign != campaigns || term != null) {
            return;
        }
        if (!renewedInCampaign) {
            electionPending = true;
            return;
        }
        startTerm();
    }

    private synchronized void startTerm() {
        electionPending = false;
        LeaderTerm elected = new LeaderTerm(++elections, nanos, renewedAt, config.renewDeadline().toNanos());
        term = elected;
        LOG.infof("%s leads the ExternalSecret controller (%s)", identity, elected);
        terms.execute(() -> listener.elected(elected));
    }

    private synchronized void renewed(int campaign, long startedAt) {
        if (campaign != campaigns) {
            return;
        }
        renewedAt = startedAt;
        renewedInCampaign = true;
        if (term != null) {
            term.renewed(startedAt);
        } else if (electionPending && !closed) {
            startTerm();
        }
    }

    private void watch() {
        LeaderTerm current = term();
        if (current != null && !current.holds()) {
            depose(current, "the Lease was not renewed within the renew deadline (" + config.renewDeadline().toSeconds() + " s)");
        }
    }

    private synchronized void depose(int campaign, String why) {
        if (campaign == campaigns) {
            electionPending = false;
        }
        if (campaign == campaigns && term != null) {
            depose(term, why);
        }
    }

    /**
     * The listener cannot lead in this term (its controller did not start): the term ends, the Lease is released so that
     * another replica may try, and this one campaigns again after a lease duration.
     */
    synchronized void resign(LeaderTerm ended, String why) {
        if (ended != term) {
            return;
        }
        LeaderElector resigning = elector;
        depose(ended, why, config.leaseDuration());
        electors.execute(resigning::release);
    }

    /** Ends the term, stops this campaign, and campaigns again. */
    private synchronized void depose(LeaderTerm ended, String why) {
        depose(ended, why, Duration.ZERO);
    }

    private synchronized void depose(LeaderTerm ended, String why, Duration before) {
        if (ended != term) {
            return;
        }
        term = null;
        ended.end();
        LOG.warnf("%s stopped leading the ExternalSecret controller (%s): %s; campaigning again", identity, ended, why);
        terms.execute(() -> listener.deposed(ended, why));
        CompletableFuture<?> abandoned = running;
        int campaign = ++campaigns;
        // On another thread, since cancelling waits for the old elector, which may be stuck in a renewal that calls back
        // here; after the campaign count moved on, so that the old campaign's end is not taken for the current one's.
        electors.execute(() -> abandoned.cancel(true));
        watchdog.schedule(() -> {
            synchronized (this) {
                if (campaign == campaigns) {
                    campaign(campaign);
                }
            }
        }, before.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The campaign's elector stopped: if it was the current one and nothing replaced it, campaign again. */
    private void ended(int campaign) {
        synchronized (this) {
            if (closed || campaign != campaigns) {
                return;
            }
            if (term != null) {
                depose(term, "the elector stopped");
                return;
            }
        }
        watchdog.schedule(() -> {
            synchronized (this) {
                if (campaign == campaigns) {
                    campaign();
                }
            }
        }, config.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops campaigning; a replica that leads ends its term and releases the Lease, waiting for that a short while. */
    @Override
    public void close() {
        LeaderTerm last;
        LeaderElector releasing;
        CompletableFuture<?> stopping;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            last = term;
            term = null;
            releasing = elector;
            stopping = running;
        }
        watchdog.shutdownNow();
        if (stopping != null) {
            electors.execute(() -> stopping.cancel(true));
        }
        if (last != null) {
            last.end();
            terms.execute(() -> listener.deposed(last, "shutting down"));
            // The elector is synchronized on a renewal that may hang on an unreachable API server: never wait long.
            Future<?> released = electors.submit(releasing::release);
            try {
                released.get(RELEASE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.infof("the ExternalSecret controller's Lease was not released (%s); it expires in %d s",
                        e.getClass().getSimpleName(), config.leaseDuration().toSeconds());
            }
        }
        terms.shutdown();
        electors.shutdownNow();
    }

    /** The Lease, telling this class when each create or renewal that succeeded had started. */
    private final class RenewalTimes implements Lock {
        private final Lock lease;
        private final int campaign;

        RenewalTimes(Lock lease, int campaign) {
            this.lease = lease;
            this.campaign = campaign;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient client) {
            return lease.get(client);
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {
            long started = nanos.getAsLong();
            lease.create(client, record);
            renewed(campaign, started);
        }

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {
            long started = nanos.getAsLong();
            lease.update(client, record);
            renewed(campaign, started);
        }

        @Override
        public String identity() {
            return lease.identity();
        }

        @Override
        public String describe() {
            return lease.describe();
        }
    }
}
