package dev.lanyard.broker;

import dev.lanyard.access.AuditedAccess;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.SecretBackendFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.InstantSource;
import java.util.random.RandomGenerator;

/** Wires the registry of configured backends and the broker in front of them. */
class BrokerBeans {

    @Produces
    @Singleton
    BackendRegistry backendRegistry(Instance<SecretBackendFactory> factories) {
        return BackendRegistry.build(factories.stream().toList());
    }

    void closeBackends(@Disposes BackendRegistry registry) {
        registry.close();
    }

    @Produces
    @Singleton
    Broker broker(BackendRegistry backends, AuditedAccess audited, LeaseStore leases,
                  LeaseFingerprint fingerprint, BrokerConfig config, InstantSource clock, RandomGenerator random,
                  MeterRegistry meters, Event<SecretChanged> changes, Event<ChangesMissed> missed, Tracer tracer) {
        return new Broker(backends, audited, leases, fingerprint, config, clock, random, meters,
                new ChangeAnnouncer() {
                    @Override
                    public void announce(SecretChanged change) {
                        changes.fire(change);
                    }

                    @Override
                    public void announce(ChangesMissed gap) {
                        missed.fire(gap);
                    }
                }, tracer);
    }
}
