package dev.lanyard.support;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import java.util.Optional;

/**
 * A connection of its own for PostgreSQL {@code LISTEN}, to the service's database as the app role, with the reactive
 * pool's settings ({@code quarkus.datasource.reactive.url}, {@code quarkus.datasource.username}/{@code .password}):
 * a pooled connection cannot listen, since it goes back to the pool between statements. It reconnects on its own;
 * whoever subscribes learns of each (re)connection in its {@code subscribeHandler}, and must assume that what was
 * announced while it was away is lost.
 */
public final class ListeningConnection {

    private ListeningConnection() {}

    public static PgSubscriber subscriber(Vertx vertx, String reactiveUrl, Optional<String> user, Optional<String> password) {
        PgConnectOptions options = PgConnectOptions.fromUri(reactiveUrl.replaceFirst("^vertx-reactive:", ""));
        user.ifPresent(options::setUser);
        password.ifPresent(options::setPassword);
        return PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 500L);
    }
}
