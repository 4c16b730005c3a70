package dev.lanyard.database;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.it.RealPeers;
import io.netty.channel.Channel;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The service's own pool, against the real PostgreSQL: every connection it hands out carries both sides of the deadline. */
@QuarkusTest
@RealPeers
class DeadlinePoolIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    @Test
    void aPooledConnectionIsWatchedForSilenceAndNotClosedForIdling() {
        SqlConnection connection = pool.getConnection().await().atMost(WAIT);
        try {
            Channel channel = DatabaseConnections.channel(connection.getDelegate()).orElseThrow();
            assertThat(channel.pipeline().get(ResponseDeadline.NAME)).isInstanceOf(ResponseDeadline.class);
            assertThat(channel.pipeline().get("idle")).as("the login's idle check, gone once logged in").isNull();
        } finally {
            connection.closeAndAwait();
        }
    }

    @Test
    void postgresqlRollsBackATransactionItsClientLeftSilentForTheResponseTimeout() {
        String setting = pool.query("show idle_in_transaction_session_timeout").execute().await().atMost(WAIT)
                .iterator().next().getString(0);
        assertThat(setting).isEqualTo("10s"); // lanyard.database.response-timeout's default
    }
}
