package dev.lanyard.database;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Builds the service's reactive pool from Quarkus's datasource configuration (Quarkus calls this instead of building
 * it itself), with {@link DatabaseConfig}'s deadlines on every wait the client itself has none for: opening a
 * connection (login included), waiting for one from the pool, and every answer on an open one ({@link ResponseDeadline}).
 *
 * <p>Vert.x's idle timeout bounds the login (it closes a connection with no traffic for the connect timeout); once
 * the connection is open, the idle check is swapped for the response deadline, which never closes a connection that
 * is merely idle in the pool. Each new connection also asks the server to roll back a transaction left idle for the
 * response timeout: the server's side of a lost path.
 */
@Singleton
class DeadlinePool implements PgPoolCreator {

    private static final Logger LOG = Logger.getLogger(DeadlinePool.class);
    /** The handler Vert.x's NetClient installs for {@code idleTimeout}. */
    private static final String VERTX_IDLE_HANDLER = "idle";

    private final DatabaseConfig config;
    private final AtomicBoolean unreachableReported = new AtomicBoolean();

    DeadlinePool(DatabaseConfig config) {
        this.config = config;
    }

    @Override
    public Pool create(Input input) {
        int connectMillis = Math.toIntExact(Math.max(1, config.connectTimeout().toMillis()));
        List<PgConnectOptions> servers = input.pgConnectOptionsList().stream().map(given -> {
            PgConnectOptions options = new PgConnectOptions(given);
            options.setConnectTimeout(connectMillis);
            options.setIdleTimeout(connectMillis);
            options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
            return options;
        }).toList();
        PoolOptions pooling = new PoolOptions(input.poolOptions())
                .setConnectionTimeout(Math.toIntExact(Math.max(1, config.acquireTimeout().toMillis())))
                .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS);
        PgPool pool = PgPool.pool(input.vertx(), servers, pooling);
        // The server's side of the same deadline: a transaction whose client went silent (its connection closed into a
        // black hole) is rolled back and its locks released (the lease cap's per-owner lock, the audit chain's) rather
        // than held for the other replicas until TCP notices. Lanyard's transactions never idle between statements.
        String serverSide = "set idle_in_transaction_session_timeout = " + config.responseTimeout().toMillis();
        pool.connectHandler(connection -> {
            DatabaseConnections.channel(connection).ifPresentOrElse(channel -> {
                if (channel.pipeline().get(VERTX_IDLE_HANDLER) != null) {
                    channel.pipeline().remove(VERTX_IDLE_HANDLER);
                }
                channel.pipeline().addFirst(ResponseDeadline.NAME, new ResponseDeadline(config.responseTimeout()));
            }, () -> {
                if (unreachableReported.compareAndSet(false, true)) {
                    LOG.error("cannot reach the database connection's socket: lanyard.database.response-timeout is not"
                            + " enforced (a changed Vert.x SQL client?)");
                }
            });
            connection.query(serverSide).execute().onComplete(set -> {
                if (set.failed()) {
                    LOG.warnf("could not set idle_in_transaction_session_timeout on a new database connection: %s",
                            set.cause().getMessage());
                }
                connection.close(); // into the pool
            });
        });
        return pool;
    }
}
