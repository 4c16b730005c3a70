package dev.lanyard.support;

import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.FaultTolerance;
import io.smallrye.faulttolerance.api.Guard;
import io.smallrye.faulttolerance.api.Spi;
import io.smallrye.faulttolerance.api.TypedGuard;
import io.smallrye.faulttolerance.apiimpl.BasicCircuitBreakerMaintenanceImpl;
import io.smallrye.faulttolerance.apiimpl.BuilderEagerDependencies;
import io.smallrye.faulttolerance.apiimpl.BuilderLazyDependencies;
import io.smallrye.faulttolerance.apiimpl.FaultToleranceImpl;
import io.smallrye.faulttolerance.apiimpl.GuardImpl;
import io.smallrye.faulttolerance.apiimpl.TypedGuardImpl;
import io.smallrye.faulttolerance.core.event.loop.EventLoop;
import io.smallrye.faulttolerance.core.metrics.MeteredOperation;
import io.smallrye.faulttolerance.core.metrics.MetricsProvider;
import io.smallrye.faulttolerance.core.metrics.MetricsRecorder;
import io.smallrye.faulttolerance.core.timer.ThreadTimer;
import io.smallrye.faulttolerance.core.timer.Timer;
import java.lang.reflect.Type;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Test-only stand-in for SmallRye Fault Tolerance's standalone mode, so {@code Guard.create()} (used by the
 * broker's {@code BackendCalls}) works in plain JUnit tests without a CDI container.
 *
 * <p>Why it exists: the only {@link Spi} on the classpath is {@code io.smallrye.faulttolerance.CdiSpi}, which
 * applies only when {@code CDI.current()} works. Outside Quarkus it does not, so {@code Guard.create()} fails with
 * {@code ExceptionInInitializerError} caused by "Could not find implementation of io.smallrye.faulttolerance.api.Spi,
 * add a dependency on io.smallrye:smallrye-fault-tolerance or io.smallrye:smallrye-fault-tolerance-standalone"; the
 * standalone artifact is not a dependency of this project (and is not in the offline repository).
 *
 * <p>Registered in {@code src/test/resources/META-INF/services/io.smallrye.faulttolerance.api.Spi}. It applies only
 * when there is no CDI container and has a lower priority than {@code CdiSpi} (1000), so {@code @QuarkusTest}s keep
 * using the real CDI integration. Every guard builder gets its own circuit-breaker registry, because each test builds
 * a fresh {@code Broker} whose guard reuses the name {@code lanyard-backend-<backend>}, and a shared registry refuses
 * a second breaker with the same name.
 */
public final class PlainJvmFaultToleranceSpi implements Spi {

    private static final class Lazy implements BuilderLazyDependencies {
        static final Lazy INSTANCE = new Lazy();

        private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-fault-tolerance");
            t.setDaemon(true);
            return t;
        });
        private final Timer timer = new ThreadTimer(executor);
        private final EventLoop eventLoop = EventLoop.get();

        @Override
        public boolean ftEnabled() {
            return true;
        }

        @Override
        public ExecutorService asyncExecutor() {
            return executor;
        }

        @Override
        public EventLoop eventLoop() {
            return eventLoop;
        }

        @Override
        public Timer timer() {
            return timer;
        }

        @Override
        public MetricsProvider metricsProvider() {
            return new MetricsProvider() {
                @Override
                public boolean isEnabled() {
                    return false;
                }

                @Override
                public MetricsRecorder create(MeteredOperation operation) {
                    return MetricsRecorder.NOOP;
                }
            };
        }
    }

    private static BuilderEagerDependencies freshRegistry() {
        BasicCircuitBreakerMaintenanceImpl maintenance = new BasicCircuitBreakerMaintenanceImpl();
        return () -> maintenance;
    }

    @Override
    public boolean applies() {
        try {
            jakarta.enterprise.inject.spi.CDI.current();
            return false;
        } catch (RuntimeException | LinkageError noContainer) {
            return true;
        }
    }

    @Override
    public int priority() {
        return 1;
    }

    @Override
    public Guard.Builder newGuardBuilder() {
        return new GuardImpl.BuilderImpl(freshRegistry(), () -> Lazy.INSTANCE);
    }

    @Override
    public <T> TypedGuard.Builder<T> newTypedGuardBuilder(Type type) {
        return new TypedGuardImpl.BuilderImpl<>(freshRegistry(), () -> Lazy.INSTANCE, type);
    }

    @Override
    public <T, R> FaultTolerance.Builder<T, R> newBuilder(Function<FaultTolerance<T>, R> finisher) {
        return new FaultToleranceImpl.BuilderImpl<>(freshRegistry(), () -> Lazy.INSTANCE, null, finisher);
    }

    @Override
    public <T, R> FaultTolerance.Builder<T, R> newAsyncBuilder(Class<?> asyncType, Function<FaultTolerance<T>, R> finisher) {
        return new FaultToleranceImpl.BuilderImpl<>(freshRegistry(), () -> Lazy.INSTANCE, asyncType, finisher);
    }

    @Override
    public CircuitBreakerMaintenance circuitBreakerMaintenance() {
        return freshRegistry().cbMaintenance();
    }
}
