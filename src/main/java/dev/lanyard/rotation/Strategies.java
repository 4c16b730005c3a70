package dev.lanyard.rotation;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Every rotation strategy by the name schedules use. */
@Singleton
class Strategies {

    private final Map<String, RotationStrategy> byName = new TreeMap<>();

    Strategies(Instance<RotationStrategy> all) {
        for (RotationStrategy strategy : all) {
            if (byName.put(strategy.name(), strategy) != null) {
                throw new IllegalStateException("two rotation strategies are named " + strategy.name());
            }
        }
    }

    Optional<RotationStrategy> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    RotationStrategy get(String name) {
        return find(name).orElseThrow(() -> new StepFailure(StepCode.INVALID_STRATEGY, "the run's strategy is not known here"));
    }

    Iterable<String> names() {
        return byName.keySet();
    }
}
