package dev.lanyard.support;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Child spans around reactive work. The span is the current one while the work is subscribed, so spans the work
 * starts synchronously (a backend call inside a cache load) hang under it, and it ends when the work's outcome is
 * known. Attributes name operations, backends and outcomes only: never a path's value, a token or a lease id
 * (SECURITY.md).
 */
public final class Spans {

    private Spans() {}

    /** Runs {@code work} in a span named {@code name}, a child of the current span. */
    public static <T> Uni<T> around(Tracer tracer, String name, Supplier<Uni<T>> work) {
        return around(tracer.spanBuilder(name), work, (span, item) -> { });
    }

    /**
     * Runs {@code work} in the span {@code builder} makes; {@code onItem} may add attributes learned from the result. A
     * failure marks the span as an error with the failure's type only: messages can name paths.
     */
    public static <T> Uni<T> around(SpanBuilder builder, Supplier<Uni<T>> work, BiConsumer<Span, T> onItem) {
        return Uni.createFrom().emitter(emitter -> {
            Context parent = Context.current();
            Span span = builder.setParent(parent).startSpan();
            try (Scope ignored = parent.with(span).makeCurrent()) {
                Cancellable subscription = work.get().subscribe().with(item -> {
                    onItem.accept(span, item);
                    span.end();
                    emitter.complete(item);
                }, failure -> {
                    span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
                    span.end();
                    emitter.fail(failure);
                });
                emitter.onTermination(subscription::cancel);
            } catch (RuntimeException e) {
                span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
                span.end();
                emitter.fail(e);
            }
        });
    }

    /**
     * Subscribes to what {@code work} makes under {@code trace}, a context captured earlier: a step that runs after an
     * asynchronous hop (a database call) keeps its place in the trace instead of falling back to the request's span.
     */
    public static <T> Uni<T> resumedIn(Context trace, Supplier<Uni<T>> work) {
        return Uni.createFrom().emitter(emitter -> {
            try (Scope ignored = trace.makeCurrent()) {
                Cancellable subscription = work.get().subscribe().with(emitter::complete, emitter::fail);
                emitter.onTermination(subscription::cancel);
            } catch (RuntimeException e) {
                emitter.fail(e);
            }
        });
    }

    /** A synchronous step (a policy decision) as a span of its own. */
    public static <T> T inline(Tracer tracer, String name, Supplier<T> step) {
        Span span = tracer.spanBuilder(name).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            return step.get();
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }
}
