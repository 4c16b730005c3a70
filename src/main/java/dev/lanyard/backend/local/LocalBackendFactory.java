package dev.lanyard.backend.local;

import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendFactory;
import dev.lanyard.support.SecretReference;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Creates {@code local} backends: the built-in encrypted store (see {@link LocalSecretBackend}). Static secrets
 * with versions and stages, written through the SPI; it issues no credentials.
 */
@ApplicationScoped
public class LocalBackendFactory implements SecretBackendFactory {

    static final Set<BackendCapability> CAPABILITIES = Set.of(BackendCapability.READ, BackendCapability.VERSIONS,
            BackendCapability.WRITE, BackendCapability.STAGES);

    private final LocalConfig config;
    private final InstantSource clock;

    LocalBackendFactory(LocalConfig config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Set<String> configuredInstances() {
        return SecretBackendFactory.enabledNames(config.instances(), LocalConfig.Instance::enabled);
    }

    /** Checks the key and the store directory without creating anything. Problems never contain the key. */
    @Override
    public List<String> validate(String instance) {
        LocalConfig.Instance settings = config.instances().get(instance);
        List<String> problems = new ArrayList<>();
        checkKey(problems, settings.key());
        checkStoreDir(problems, settings.storeDir());
        return problems;
    }

    private static void checkKey(List<String> problems, String reference) {
        if (reference == null) {
            problems.add("key is required");
            return;
        }
        String value;
        try {
            // Only after parse succeeds is the reference known to be file:/env: and safe to quote: a key pasted
            // directly into configuration is refused without being echoed.
            value = SecretReference.parse(reference).resolve();
        } catch (IllegalArgumentException | IllegalStateException e) {
            problems.add("key: " + e.getMessage());
            return;
        }
        try (LocalKey ignored = LocalKey.decode(value)) {
            // usable
        } catch (IllegalArgumentException e) {
            problems.add("key (" + reference + "): " + e.getMessage());
        }
    }

    private static void checkStoreDir(List<String> problems, Path configured) {
        if (configured == null) {
            problems.add("store-dir is required");
            return;
        }
        Path dir = configured.toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                problems.add("store-dir " + dir + " exists and is not a directory");
            } else if (!Files.isReadable(dir) || !Files.isWritable(dir) || !Files.isExecutable(dir)) {
                problems.add("store-dir " + dir + " is not readable and writable by Lanyard");
            }
            return;
        }
        Path ancestor = dir.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null) {
            problems.add("store-dir " + dir + " cannot be created: no parent directory exists");
        } else if (!Files.isDirectory(ancestor)) {
            problems.add("store-dir " + dir + " cannot be created: " + ancestor + " is not a directory");
        } else if (!Files.isWritable(ancestor) || !Files.isExecutable(ancestor)) {
            problems.add("store-dir " + dir + " cannot be created: " + ancestor + " is not writable by Lanyard");
        }
    }

    @Override
    public SecretBackend create(String instance) {
        LocalConfig.Instance settings = config.instances().get(instance);
        return new LocalSecretBackend(instance, settings.storeDir(), LocalKey.resolve(settings.key()), clock);
    }
}
