package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Renewal increments as each client sends them. */
class IncrementsTest {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Test
    void secondsAsANumberAsTextOrAGoDuration() {
        assertThat(Increments.of(JSON.numberNode(3600))).contains(Duration.ofHours(1));
        assertThat(Increments.of(JSON.textNode("3600"))).contains(Duration.ofHours(1));
        assertThat(Increments.of(JSON.textNode("1h30m"))).contains(Duration.ofMinutes(90));
        assertThat(Increments.of(JSON.textNode("45s"))).contains(Duration.ofSeconds(45));
    }

    @Test
    void noneOrZeroAsksForTheDefault() {
        assertThat(Increments.of(null)).isEqualTo(Optional.empty());
        assertThat(Increments.of(JSON.nullNode())).isEqualTo(Optional.empty());
        assertThat(Increments.of(JSON.numberNode(0))).isEqualTo(Optional.empty());
    }

    @Test
    void anythingElseIsABadRequest() {
        for (var bad : new com.fasterxml.jackson.databind.JsonNode[] {JSON.textNode("soon"), JSON.textNode("1h 30m"),
                JSON.numberNode(-5), JSON.numberNode(1.5), JSON.textNode("9999999h"), JSON.booleanNode(true), JSON.textNode("")}) {
            assertThatThrownBy(() -> Increments.of(bad)).as(bad.toString()).isInstanceOf(VaultRefusal.class);
        }
    }
}
