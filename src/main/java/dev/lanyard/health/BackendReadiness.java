package dev.lanyard.health;

import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.SecretBackend;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only when every configured backend answers; each backend's state and reason are reported, and a note for a
 * backend that is up but was repaired (a Vault token replaced after it was revoked out of band, for one).
 */
@Readiness
@ApplicationScoped
public class BackendReadiness implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final BackendRegistry backends;

    BackendReadiness(BackendRegistry backends) {
        this.backends = backends;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        List<Uni<Result>> probes = backends.all().stream().map(BackendReadiness::probe).toList();
        if (probes.isEmpty()) {
            return Uni.createFrom().item(HealthCheckResponse.named("backends").down().withData("reason", "no backend configured").build());
        }
        return Uni.join().all(probes).andFailFast().map(results -> {
            HealthCheckResponseBuilder builder = HealthCheckResponse.named("backends").up();
            for (Result result : results) {
                builder.withData(result.name(), describe(result.health()));
                if (!result.health().up()) {
                    builder.down();
                }
            }
            return builder.build();
        });
    }

    private record Result(String name, BackendHealth health) {}

    /** {@code UP}, {@code UP: <note>} for a backend that works but has something an operator should know, or {@code DOWN: <reason>}. */
    static String describe(BackendHealth health) {
        if (!health.up()) {
            return "DOWN: " + health.reason();
        }
        return health.equals(BackendHealth.healthy()) ? "UP" : "UP: " + health.reason();
    }

    private static Uni<Result> probe(SecretBackend backend) {
        return backend.health()
                .ifNoItem().after(PROBE_TIMEOUT).recoverWithItem(BackendHealth.unhealthy("health probe timed out"))
                .onFailure().recoverWithItem(failure -> BackendHealth.unhealthy("health probe failed"))
                .map(health -> new Result(backend.name(), health));
    }
}
