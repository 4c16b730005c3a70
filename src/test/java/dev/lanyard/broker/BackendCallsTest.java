package dev.lanyard.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.FakeBackend;
import dev.lanyard.support.TickingClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.TracerProvider;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BackendCallsTest {

    /** Generous: the call must fail at its 50 ms deadline; this only turns a hang into a failure of the test. */
    private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(5);

    private final FakeBackend backend = new FakeBackend("silent", new TickingClock());

    @Test
    void aBackendThatNeverAnswersFailsUnavailableAtTheDeadlineAndOpensTheBreaker() {
        BrokerTest.Config config = BrokerTest.Config.defaults();
        BackendCalls calls = new BackendCalls(new BrokerTest.Config(config.staticTtl(), config.refreshAt(), config.refreshJitter(),
                config.maxLeasesPerIdentity(), config.defaultRenewIncrement(), 0.5, 4, Duration.ofMinutes(5), config.issueHold(),
                false, config.staleIfError(), config.staleRetryAfter(), Duration.ofMillis(50)), new SimpleMeterRegistry(), TracerProvider.noop().get("backend-calls-test"));
        AtomicInteger asked = new AtomicInteger();

        for (int i = 0; i < 4; i++) {
            assertThatThrownBy(() -> calls.call(backend, "read", "kv/app", () -> {
                asked.incrementAndGet();
                return Uni.createFrom().nothing(); // a black-holed backend
            }).await().atMost(ANSWERED_WITHIN))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("no answer within lanyard.broker.backend-timeout");
        }
        // Silence counts as failure: the breaker opened, and the next call is not even tried.
        assertThatThrownBy(() -> calls.call(backend, "read", "kv/app", () -> {
            asked.incrementAndGet();
            return Uni.createFrom().nothing();
        }).await().atMost(ANSWERED_WITHIN))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("circuit open");
        assertThat(asked).hasValue(4);
    }
}
