package dev.lanyard.database;

import io.netty.channel.Channel;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.impl.Connection;
import io.vertx.sqlclient.impl.SocketConnectionBase;
import io.vertx.sqlclient.impl.SqlConnectionInternal;
import java.util.Optional;

/**
 * The socket under a pooled connection, the one place that reaches below the Vert.x SQL client's public API. It has to:
 * closing a pooled {@link SqlConnection} only gives it back to the pool, with whatever was in flight still queued on
 * it, and the client has no query timeout (eclipse-vertx/vertx-sql-client#668). Closing the socket instead fails what
 * is in flight and makes the pool drop the connection. The fault test (BlackHoleProcessIT) fails if an upgrade of
 * the client moves these internals.
 */
public final class DatabaseConnections {

    private DatabaseConnections() {}

    /**
     * Closes the connection's socket, so nothing more is sent on it, what is in flight fails, and the pool opens a fresh
     * one instead of handing this one out again. For a transaction whose outcome the caller stops waiting for.
     *
     * @return whether the socket could be reached; if not, the pool's own response deadline still closes it
     */
    public static boolean abort(io.vertx.mutiny.sqlclient.SqlConnection connection) {
        Optional<Channel> channel = channel(connection.getDelegate());
        channel.ifPresent(Channel::close);
        return channel.isPresent();
    }

    static Optional<Channel> channel(SqlConnection connection) {
        if (!(connection instanceof SqlConnectionInternal internal)) {
            return Optional.empty();
        }
        Connection current = internal.unwrap();
        // A pooled connection wraps the socket's: unwrap until a connection is its own innermost.
        while (current != null && current.unwrap() != current) {
            current = current.unwrap();
        }
        return current instanceof SocketConnectionBase socket
                ? Optional.of(socket.socket().channelHandlerContext().channel())
                : Optional.empty();
    }
}
