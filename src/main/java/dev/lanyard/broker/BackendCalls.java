package dev.lanyard.broker;

import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretBackend;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import dev.lanyard.support.Spans;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.mutiny.Uni;
import dev.lanyard.support.ContextHop;
import jakarta.enterprise.util.TypeLiteral;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;

/**
 * Every call from the broker to a backend goes through here: a deadline over the whole call ({@code backend-timeout}),
 * one circuit breaker per backend (so a dead Vault is failed fast instead of waited on, its state a gauge), a latency
 * timer per backend, operation and outcome, and a hop back to the caller's Vert.x context ({@link ContextHop}) (backends
 * complete on their own threads; Hibernate Reactive must not).
 */
final class BackendCalls {

    private static final TypeLiteral<Uni<Object>> UNI = new TypeLiteral<>() {};

    private final BrokerConfig config;
    private final MeterRegistry meters;
    private final Tracer tracer;
    private final ConcurrentHashMap<String, Guard> guards = new ConcurrentHashMap<>();

    BackendCalls(BrokerConfig config, MeterRegistry meters, Tracer tracer) {
        this.config = config;
        this.meters = meters;
        this.tracer = tracer;
    }

    <T> Uni<T> call(SecretBackend backend, String operation, String path, Supplier<Uni<T>> call) {
        // A client span: the backend's HTTP client sends its context on (traceparent), so Vault's own audit log and
        // traces can be joined to this request's.
        return ContextHop.returnToCaller(Spans.around(tracer.spanBuilder("lanyard.backend.call").setSpanKind(SpanKind.CLIENT)
                .setAttribute("lanyard.backend", backend.name()).setAttribute("lanyard.operation", operation),
                () -> guarded(backend, operation, path, call), (span, item) -> { }));
    }

    @SuppressWarnings("unchecked")
    private <T> Uni<T> guarded(SecretBackend backend, String operation, String path, Supplier<Uni<T>> call) {
        return Uni.createFrom().deferred(() -> {
            Timer.Sample sample = Timer.start(meters);
            Guard guard = guards.computeIfAbsent(backend.name(), this::newGuard);
            // The guard may subscribe to the call on another thread: the call still runs in this span, so the backend's
            // client sends this span's context on.
            Context span = Context.current();
            // The deadline is inside the breaker, so a backend that stops answering opens it like one that refuses.
            Uni<T> guarded = (Uni<T>) guard.get(() -> (Uni<Object>) Spans.resumedIn(span, call)
                    .ifNoItem().after(config.backendTimeout()).failWith(() -> new BackendUnavailableException(backend.name(),
                            operation, path, "no answer within lanyard.broker.backend-timeout (" + config.backendTimeout() + ")",
                            null)), UNI);
            // Timed before the open circuit is translated, so a failed-fast call is counted as circuit_open, not as a
            // call the backend refused.
            return guarded
                    .onItemOrFailure().invoke((item, failure) -> sample.stop(meters.timer("lanyard.backend.call",
                            "backend", backend.name(), "operation", operation, "outcome", outcome(failure))))
                    .onFailure(CircuitBreakerOpenException.class).transform(open ->
                            new BackendUnavailableException(backend.name(), operation, path, "circuit open after repeated failures", null));
        });
    }

    private static String outcome(Throwable failure) {
        if (failure == null) {
            return "success";
        }
        if (failure instanceof CircuitBreakerOpenException) {
            return "circuit_open";
        }
        return failure instanceof BackendException e ? e.getClass().getSimpleName().replace("Exception", "") : "error";
    }

    private Guard newGuard(String backend) {
        // 0 closed, 1 half-open (a probe is let through), 2 open (calls fail fast).
        AtomicInteger state = new AtomicInteger();
        Gauge.builder("lanyard.backend.circuit.state", state, AtomicInteger::get).tag("backend", backend)
                .description("circuit breaker in front of the backend: 0 closed, 1 half-open, 2 open").register(meters);
        return Guard.create()
                .withDescription("backend " + backend)
                .withCircuitBreaker()
                .name("lanyard-backend-" + backend)
                .failOn(BackendUnavailableException.class)
                .requestVolumeThreshold(config.breakerVolume())
                .failureRatio(config.breakerFailureRatio())
                .delay(config.breakerDelay().toMillis(), ChronoUnit.MILLIS)
                .onStateChange(changed -> state.set(switch (changed) {
                    case CLOSED -> 0;
                    case HALF_OPEN -> 1;
                    case OPEN -> 2;
                }))
                .done()
                .build();
    }
}
