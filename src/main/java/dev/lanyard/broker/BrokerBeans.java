package dev.lanyard.broker;

import dev.lanyard.audit.AuditLog;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.SecretBackendFactory;
import io.micrometer.core.instrument.MeterRegistry;
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
    Broker broker(BackendRegistry backends, PolicyEngine policy, AuditLog audit, LeaseStore leases,
                  LeaseFingerprint fingerprint, BrokerConfig config, InstantSource clock, RandomGenerator random,
                  MeterRegistry meters) {
        return new Broker(backends, policy, audit, leases, fingerprint, config, clock, random, meters);
    }
}
