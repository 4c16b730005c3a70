package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RolloutRestartsTest {

    @Test
    void theAnnotationDependsOnTheChangedDataOnlyNotOnOrderOrTime() {
        String once = RolloutRestarts.digest(new TreeMap<>(Map.of("apps/a", "h1", "apps/b", "h2")));
        assertThat(RolloutRestarts.digest(new TreeMap<>(Map.of("apps/b", "h2", "apps/a", "h1")))).isEqualTo(once);
        assertThat(RolloutRestarts.digest(new TreeMap<>(Map.of("apps/a", "h1", "apps/b", "h3")))).isNotEqualTo(once);
        assertThat(once).matches("[A-Za-z0-9_-]{43}");
    }
}
