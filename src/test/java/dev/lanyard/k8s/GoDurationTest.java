package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationTest {

    @Test
    void readsWhatTheCrdPatternAccepts() {
        assertThat(GoDuration.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
        assertThat(GoDuration.parse("168h")).isEqualTo(Duration.ofDays(7));
        assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void refusesWhatIsNotAGoDuration() {
        for (String bad : new String[] {"", "1d", "h", "10", "1h 30m", "x1h"}) {
            assertThatThrownBy(() -> GoDuration.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
