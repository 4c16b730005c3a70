package dev.lanyard.spi;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The backend instances Lanyard serves, built once from the factories and their configuration.
 *
 * <p>Construction fails fast, listing every problem at once: two factories with the same type, two
 * instances with the same name (across types), or any instance whose configuration does not validate.
 * A service that starts has a consistent set of backends.
 */
public final class BackendRegistry implements AutoCloseable {

    /** What a backend name may be: it is the first segment of every path, policy glob and audit target. */
    public static final Pattern VALID_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /** Targets of Lanyard's own resources ({@code lanyard/tokens/...}, {@code audit/...}): never a backend. */
    public static final Set<String> RESERVED_NAMES = Set.of("lanyard", "audit");

    private final Map<String, SecretBackend> backends;

    private BackendRegistry(Map<String, SecretBackend> backends) {
        this.backends = Collections.unmodifiableMap(backends);
    }

    public static BackendRegistry build(Collection<? extends SecretBackendFactory> factories) {
        List<String> problems = new ArrayList<>();
        Map<String, SecretBackendFactory> byType = new LinkedHashMap<>();
        Map<String, SecretBackendFactory> byInstance = new LinkedHashMap<>();
        for (SecretBackendFactory factory : factories) {
            if (byType.putIfAbsent(factory.type(), factory) != null) {
                problems.add("two backend factories declare type '" + factory.type() + "'");
                continue;
            }
            for (String instance : factory.configuredInstances()) {
                if (!VALID_NAME.matcher(instance).matches()) {
                    problems.add("backend name '" + instance + "' must be 1 to 64 of [A-Za-z0-9_.-]");
                    continue;
                }
                if (RESERVED_NAMES.contains(instance)) {
                    problems.add("backend name '" + instance + "' is reserved: policies and the audit log use it for Lanyard itself");
                    continue;
                }
                SecretBackendFactory previous = byInstance.putIfAbsent(instance, factory);
                if (previous != null) {
                    problems.add("backend name '" + instance + "' is configured for both '" + previous.type()
                            + "' and '" + factory.type() + "'");
                    continue;
                }
                factory.validate(instance).forEach(p -> problems.add("backend '" + instance + "' (" + factory.type() + "): " + p));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidBackendConfigException(problems);
        }
        Map<String, SecretBackend> created = new LinkedHashMap<>();
        byInstance.forEach((instance, factory) -> created.put(instance, factory.create(instance)));
        return new BackendRegistry(created);
    }

    public Optional<SecretBackend> find(String name) {
        return Optional.ofNullable(backends.get(name));
    }

    public Collection<SecretBackend> all() {
        return backends.values();
    }

    @Override
    public void close() {
        backends.values().forEach(SecretBackend::close);
    }
}
