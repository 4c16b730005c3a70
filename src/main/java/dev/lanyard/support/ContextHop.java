package dev.lanyard.support;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * Work that must leave the event loop (blocking drivers, first JWKS fetch) completes on another thread, but
 * what follows it (Hibernate Reactive, the HTTP response) must run on the request's Vert.x context again.
 */
public final class ContextHop {

    private ContextHop() {}

    /** Subscribes on {@code executor}; delivers the outcome back on the subscriber's Vert.x context, if it has one. */
    public static <T> Uni<T> offload(Uni<T> work, Executor executor) {
        return returnToCaller(work.runSubscriptionOn(executor));
    }

    /** Delivers the outcome of {@code work} on the Vert.x context current at subscription, if there is one. */
    public static <T> Uni<T> returnToCaller(Uni<T> work) {
        return Uni.createFrom().deferred(() -> {
            Context caller = Vertx.currentContext();
            return caller == null ? work : work.emitOn(task -> caller.runOnContext(ignored -> task.run()));
        });
    }
}
