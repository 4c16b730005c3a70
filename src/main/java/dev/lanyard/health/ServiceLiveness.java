package dev.lanyard.health;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Startup;

/**
 * Alive as long as the process can answer: a backend or database outage must not get Lanyard restarted
 * (readiness takes it out of rotation instead). Started once the backend registry validated its configuration,
 * which CDI guarantees by injecting it.
 */
@ApplicationScoped
public class ServiceLiveness {

    @Liveness
    HealthCheck alive() {
        return () -> HealthCheckResponse.up("lanyard");
    }

    @Startup
    HealthCheck started(dev.lanyard.spi.BackendRegistry registry) {
        return () -> HealthCheckResponse.named("backends-configured").up().withData("count", registry.all().size()).build();
    }
}
