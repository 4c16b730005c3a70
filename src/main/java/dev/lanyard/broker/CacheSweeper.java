package dev.lanyard.broker;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;

/** Keeps expired credentials out of memory: sweeps the broker's cache every few seconds. */
@ApplicationScoped
class CacheSweeper {

    private final Broker broker;

    CacheSweeper(Broker broker) {
        this.broker = broker;
    }

    @Scheduled(every = "10s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        broker.sweepCache();
    }
}
