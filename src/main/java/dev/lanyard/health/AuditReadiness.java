package dev.lanyard.health;

import dev.lanyard.audit.store.AuditChainWriter;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while the audit log can record: nothing is served without an audit row, so a replica whose log cannot
 * be appended to (database unreachable, a chain head that does not verify) leaves the load balancer, and says why.
 */
@Readiness
@ApplicationScoped
public class AuditReadiness implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final AuditChainWriter writer;

    AuditReadiness(AuditChainWriter writer) {
        this.writer = writer;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return writer.check()
                .ifNoItem().after(PROBE_TIMEOUT).recoverWithItem(Optional.of("the audit database did not answer in time"))
                .map(problem -> problem.isEmpty()
                        ? HealthCheckResponse.named("audit").up().build()
                        : HealthCheckResponse.named("audit").down().withData("reason", problem.get()).build());
    }
}
