package dev.lanyard.health;

import dev.lanyard.broker.ChangeRelay;
import dev.lanyard.database.PostgresTls;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * How this replica reaches its own PostgreSQL: the TLS mode every connection uses, what the server says of a pool
 * connection ({@code pg_stat_ssl}: the TLS version, or plain text), and the change relay's state with its reason
 * when it does not listen. Not ready when the pool cannot reach PostgreSQL. A relay that does not listen is reported,
 * not made a reason to stop serving: it retries on its own, each replica's cached values then live at most their
 * cache window ({@code lanyard.broker.static-ttl}) past a change made elsewhere, and {@code LanyardRelayDown} pages —
 * whereas taking every replica out of service when all their relay connections fail together (no free connection
 * slot, say) would turn stale-for-a-minute into an outage.
 */
@Readiness
@ApplicationScoped
public class DatabaseReadiness implements AsyncHealthCheck {

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final Pool pool;
    private final PostgresTls tls;
    private final ChangeRelay relay;

    DatabaseReadiness(Pool pool, PostgresTls tls, ChangeRelay relay) {
        this.pool = pool;
        this.tls = tls;
        this.relay = relay;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return pool.query("select ssl, version from pg_stat_ssl where pid = pg_backend_pid()").execute()
                .map(rows -> {
                    Row row = rows.iterator().hasNext() ? rows.iterator().next() : null;
                    return row != null && Boolean.TRUE.equals(row.getBoolean("ssl")) ? row.getString("version") : "plain text";
                })
                .ifNoItem().after(PROBE_TIMEOUT).fail()
                .onFailure().recoverWithItem(failure -> "DOWN: " + failure.getClass().getSimpleName())
                .map(pooled -> {
                    ChangeRelay.Status relayed = relay.status();
                    HealthCheckResponseBuilder builder = HealthCheckResponse.named("database")
                            .withData("tls", tls.describe())
                            .withData("pool", pooled)
                            .withData("relay", relayed.describe())
                            .status(!pooled.startsWith("DOWN"));
                    return builder.build();
                });
    }
}
