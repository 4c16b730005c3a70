package dev.lanyard.broker;

import dev.lanyard.audit.AuditLog;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.support.SecretReference;
import dev.lanyard.spi.SecretBackendFactory;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import java.time.InstantSource;
import java.util.Base64;
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

    /**
     * The key lease ids are fingerprinted with: audit rows and the lease table hold the fingerprint, never the id.
     * Keep it stable: changing it breaks the correlation of one lease's events across the change.
     */
    @Produces
    @Singleton
    LeaseFingerprint leaseFingerprint(@ConfigProperty(name = "lanyard.audit.lease-hmac-key") String reference) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(SecretReference.parse(reference).resolve());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("lanyard.audit.lease-hmac-key must reference a base64 key: " + e.getMessage());
        }
        return new LeaseFingerprint(key);
    }

    @Produces
    @Singleton
    Broker broker(BackendRegistry backends, PolicyEngine policy, AuditLog audit, LeaseStore leases,
                  LeaseFingerprint fingerprint, BrokerConfig config, InstantSource clock, RandomGenerator random,
                  MeterRegistry meters, Event<SecretChanged> changes, Event<ChangesMissed> missed, Tracer tracer) {
        return new Broker(backends, policy, audit, leases, fingerprint, config, clock, random, meters,
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
