package dev.lanyard.devstack;

import dev.lanyard.backend.local.LocalSecretBackend;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.spi.NewVersion;
import java.nio.file.Path;
import java.util.Map;

/** Seeds the built-in local store with the demo secret the dev stack's greeting points at. */
final class LocalSeed {
    private LocalSeed() {}

    static void seed(Path store, String keyReference) {
        try (LocalSecretBackend backend = LocalSecretBackend.open("local", store, keyReference);
                SecretValue greeting = SecretValue.ofStrings(Map.of("greeting", "hello from the local store"))) {
            backend.put(SecretPath.of("demo/hello"), NewVersion.current(greeting)).await().indefinitely();
        }
    }
}
