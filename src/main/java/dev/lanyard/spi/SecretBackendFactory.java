package dev.lanyard.spi;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Creates backend instances of one type. Implementations are CDI beans; {@link BackendRegistry}
 * discovers them, validates every configured instance at start-up and refuses to start on any problem.
 */
public interface SecretBackendFactory {

    /** The backend type id, unique across factories: {@code vault}, {@code local}, {@code aws}. */
    String type();

    /** What every instance of this type can do. */
    Set<BackendCapability> capabilities();

    /** Names of the instances of this type that configuration enables. */
    Set<String> configuredInstances();

    /**
     * Checks one instance's configuration without contacting the backend.
     *
     * @return human-readable problems; empty when the configuration is usable. Never includes secret values.
     */
    List<String> validate(String instance);

    /** The names in a factory's instance map whose entry is enabled, in configuration order. */
    static <T> Set<String> enabledNames(Map<String, T> instances, Predicate<T> enabled) {
        Set<String> names = new LinkedHashSet<>();
        instances.forEach((name, settings) -> {
            if (enabled.test(settings)) {
                names.add(name);
            }
        });
        return names;
    }

    /** Creates a validated instance. May start background work (token renewal); {@link SecretBackend#close()} stops it. */
    SecretBackend create(String instance);
}
