package dev.lanyard.lifecycle;

import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The drain at shutdown (README, "Stopping a replica"). Quarkus does the sequence: on SIGTERM readiness reports DOWN at
 * once and this bean hears the shutdown begin; for {@code lanyard.shutdown.drain-delay} ({@code quarkus.shutdown.delay})
 * requests are still served, so that load balancers that have not yet seen readiness go down lose nothing; then
 * Quarkus waits up to {@code quarkus.shutdown.timeout} for requests in flight. From the end of the drain delay on, a new
 * request is refused here with 503 {@code SHUTTING_DOWN} and {@code Connection: close}, so a client that still
 * reaches this replica retries on another instead of being served while the replica stops under it.
 */
@ApplicationScoped
public class Drain {

    private static final Logger LOG = Logger.getLogger(Drain.class);

    private final InstantSource clock;
    private final Duration delay;
    private volatile Instant began;

    Drain(InstantSource clock, @ConfigProperty(name = "lanyard.shutdown.drain-delay", defaultValue = "5s") Duration delay) {
        this.clock = clock;
        this.delay = delay;
    }

    void shutdownBegins(@Observes ShutdownDelayInitiatedEvent ignored) {
        began = clock.instant();
        LOG.infof("shutting down: readiness is DOWN; new requests are refused with 503 after %s", delay);
    }

    /** True once the drain delay has passed: new requests are refused. */
    public boolean refusesNewRequests() {
        Instant since = began;
        return since != null && !clock.instant().isBefore(since.plus(delay));
    }
}
