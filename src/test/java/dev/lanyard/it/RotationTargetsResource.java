package dev.lanyard.it;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/**
 * The servers rotation may log in to, as an operator declares them ({@code lanyard.rotation.targets}): {@code apps}, a
 * PostgreSQL that accepts only TLS ({@link TargetDatabase}), with its CA, host name verification and channel binding
 * required; and {@code fake}, a {@link FakePostgres} declared with the default {@code verify-full} that declines TLS
 * and asks for a cleartext password. Injected into {@code @InjectPeer TargetDatabase} and {@code FakePostgres} fields.
 */
public class RotationTargetsResource implements QuarkusTestResourceLifecycleManager {

    private TargetDatabase database;
    private FakePostgres fake;

    @Override
    public Map<String, String> start() {
        try {
            database = TargetDatabase.start(Files.createTempDirectory("lanyard-it-target-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        fake = FakePostgres.start();
        Map<String, String> config = new HashMap<>();
        config.put("lanyard.rotation.targets.apps.host", "localhost");
        config.put("lanyard.rotation.targets.apps.port", String.valueOf(database.port()));
        config.put("lanyard.rotation.targets.apps.database", TargetDatabase.DATABASE);
        config.put("lanyard.rotation.targets.apps.ssl-root-cert", database.caFile().toString());
        config.put("lanyard.rotation.targets.apps.channel-binding", "require");
        config.put("lanyard.rotation.targets.fake.host", "127.0.0.1");
        config.put("lanyard.rotation.targets.fake.port", String.valueOf(fake.port()));
        config.put("lanyard.rotation.targets.fake.database", TargetDatabase.DATABASE);
        config.put("lanyard.rotation.targets.fake.ssl-root-cert", database.caFile().toString());
        return config;
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(database, PostgresResource.peer(TargetDatabase.class));
        injector.injectIntoFields(fake, PostgresResource.peer(FakePostgres.class));
    }

    @Override
    public void stop() {
        if (fake != null) {
            fake.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
