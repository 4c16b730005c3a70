package dev.lanyard.backend.local;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The built-in store against a store on a temporary directory. */
class LocalBackendContractTest extends SecretBackendContract {

    @TempDir
    static Path tmp;

    private String key;
    private LocalSecretBackend store;
    private LocalSecretBackend broken;

    @BeforeAll
    void openStores() throws IOException {
        key = LocalKey.generate();
        store = new LocalSecretBackend("local", tmp.resolve("store"), LocalKey.decode(key), InstantSource.system());
        // A store directory that is a file: nothing can be read or written there.
        Path notADirectory = Files.writeString(tmp.resolve("not-a-directory"), "x");
        broken = new LocalSecretBackend("local", notADirectory, LocalKey.decode(key), InstantSource.system());
    }

    @AfterAll
    void closeStores() {
        store.close();
        broken.close();
    }

    @Override
    protected SecretBackend backend() {
        return store;
    }

    @Override
    protected Set<BackendCapability> expectedCapabilities() {
        return EnumSet.of(BackendCapability.READ, BackendCapability.VERSIONS, BackendCapability.WRITE, BackendCapability.STAGES);
    }

    @Override
    protected SecretPath freshPath() {
        return SecretPath.of("contract/" + UUID.randomUUID());
    }

    /** Another instance on the same store writes, as the dev stack's seeding does. */
    @Override
    protected List<String> seed(SecretPath path, List<Map<String, String>> versions) {
        try (LocalSecretBackend seeder = new LocalSecretBackend("seeder", tmp.resolve("store"), LocalKey.decode(key),
                InstantSource.system())) {
            List<String> ids = new ArrayList<>();
            for (Map<String, String> fields : versions) {
                try (SecretValue value = SecretValue.ofStrings(fields)) {
                    ids.add(await(seeder.put(path, NewVersion.current(value))));
                }
            }
            return ids;
        }
    }

    @Override
    protected String absentVersionId() {
        return "999";
    }

    @Override
    protected String malformedVersionId() {
        return "1.enc";
    }

    @Override
    protected SecretBackend unreachableBackend() {
        return broken;
    }

    /** The store has no permissions of its own: nothing in it refuses Lanyard. */
    @Override
    protected List<SecretPath> pathsThePeerRefuses() {
        return List.of();
    }
}
