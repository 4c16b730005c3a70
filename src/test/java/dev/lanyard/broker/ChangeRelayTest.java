package dev.lanyard.broker;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.lanyard.support.TickingClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The relay's switch moved from rotation to the broker; a deployment still setting the old key must hear of it. */
class ChangeRelayTest {

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(properties, "test", 500)).build();
    }

    private static ChangeRelay relay(SmallRyeConfig all) {
        return new ChangeRelay(null, null, null, new TickingClock(), BrokerTest.Config.defaults(), all,
                new SimpleMeterRegistry(), "postgresql://localhost/lanyard", Optional.empty(), Optional.empty());
    }

    @Test
    void theOldKeyIsRefusedAtStartUpNamingTheNewOne() {
        assertThatThrownBy(() -> relay(config(Map.of("lanyard.rotation.relay", "false"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lanyard.rotation.relay was renamed lanyard.broker.relay");
    }

    @Test
    void withoutTheOldKeyTheRelayIsBuilt() {
        assertThatCode(() -> relay(config(Map.of("lanyard.broker.relay", "false")))).doesNotThrowAnyException();
    }
}
