package dev.lanyard.backend;

import dev.lanyard.spi.BackendException;
import io.opentelemetry.context.Context;
import io.smallrye.mutiny.Uni;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Runs a backend's blocking client calls (an HTTP driver, file IO) on <b>virtual threads</b>, so the event loop is
 * never blocked and many concurrent waits cost no platform threads. Failures that are already
 * {@link BackendException}s pass through; anything else is turned into one by the backend's own translation,
 * which must not carry secret values into the message.
 */
public final class BlockingCalls implements AutoCloseable {

    /** A blocking call that may throw whatever its client throws. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws Exception;
    }

    private final ExecutorService executor;
    /** Carries the submitting thread's trace context to the call, so the client can send it on (traceparent). */
    private final Executor traced;

    public BlockingCalls(String threadNamePrefix) {
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(threadNamePrefix, 0).factory());
        this.traced = Context.taskWrapping(executor);
    }

    public <T> Uni<T> run(Call<T> call, Function<Exception, BackendException> translate) {
        return Uni.createFrom().<T>emitter(emitter -> {
            try {
                emitter.complete(call.call());
            } catch (BackendException e) {
                emitter.fail(e);
            } catch (Exception e) {
                emitter.fail(translate.apply(e));
            }
        }).runSubscriptionOn(traced);
    }

    /** For work that handles its own failures (health probes). */
    public Executor executor() {
        return executor;
    }

    @Override
    public void close() {
        executor.shutdown();
    }
}
