package dev.lanyard.broker;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * How close identities are to the lease cap, counted from the lease table every 30 s (all replicas', not this one's):
 * an identity that reaches the cap gets 429 on its next issue, so operators hear of it before.
 */
@ApplicationScoped
@Startup // its gauge is exported from the start, not from the first use
class LeaseMetrics {

    private static final Logger LOG = Logger.getLogger(LeaseMetrics.class);
    /** "Near the cap": this fraction of {@code max-leases-per-identity} or more. */
    static final double NEAR = 0.8;

    private final LeaseStore leases;
    private final BrokerConfig config;
    private final InstantSource clock;
    private final AtomicLong nearCap = new AtomicLong();
    private final AtomicLong atCap = new AtomicLong();

    LeaseMetrics(LeaseStore leases, BrokerConfig config, InstantSource clock, MeterRegistry meters) {
        this.leases = leases;
        this.config = config;
        this.clock = clock;
        Gauge.builder("lanyard.leases.identities.near.cap", nearCap, AtomicLong::get)
                .description("identities holding at least 80 % of lanyard.broker.max-leases-per-identity live leases")
                .register(meters);
        Gauge.builder("lanyard.leases.identities.at.cap", atCap, AtomicLong::get)
                .description("identities holding lanyard.broker.max-leases-per-identity live leases: their next issue gets 429")
                .register(meters);
        Gauge.builder("lanyard.leases.cap", config, BrokerConfig::maxLeasesPerIdentity)
                .description("most live leases one identity may hold").register(meters);
    }

    @Scheduled(every = "30s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> count() {
        int cap = config.maxLeasesPerIdentity();
        long near = Math.max(1, (long) Math.ceil(cap * NEAR));
        return leases.ownersHoldingAtLeast(near, clock.instant()).invoke(nearCap::set)
                .chain(() -> leases.ownersHoldingAtLeast(cap, clock.instant())).invoke(atCap::set)
                .replaceWithVoid()
                .onFailure().invoke(failure -> LOG.debugf("lease counts not refreshed: %s", failure.getMessage()))
                .onFailure().recoverWithNull();
    }
}
