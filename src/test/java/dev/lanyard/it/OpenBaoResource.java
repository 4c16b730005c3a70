package dev.lanyard.it;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Two Vault-API servers (see {@link VaultPeer}): {@code openbao}, with KV v2 and the database engine issuing logins for
 * the tests' PostgreSQL, and {@code doomed}, which tests may stop to watch Lanyard fail fast. Each configured as a
 * backend of the same name; injected into {@code @InjectPeer VaultPeer} and {@code @InjectPeer("doomed") VaultPeer}.
 */
public class OpenBaoResource implements QuarkusTestResourceLifecycleManager {

    /** Roles in OpenBao's database engine: one per test concern so lease counts do not interfere. */
    public static final String ROLE_APP = "app";
    public static final String ROLE_FLIGHT = "flight";
    public static final String ROLE_CAP = "capped";
    /** A role policies allow but OpenBao does not have. */
    public static final String ROLE_MISSING = "never-configured";

    private VaultPeer openBao;
    private VaultPeer doomed;

    @Override
    public Map<String, String> start() {
        Path work;
        try {
            work = Files.createTempDirectory("lanyard-it-vault-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openBao = VaultPeer.start("openbao", work);
        doomed = VaultPeer.start("doomed", work);
        var database = PostgresResource.current();
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), ROLE_APP, Duration.ofMinutes(10),
                Duration.ofHours(1));
        openBao.createDatabaseRole(ROLE_FLIGHT, Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.createDatabaseRole(ROLE_CAP, Duration.ofMinutes(10), Duration.ofHours(1));
        openBao.cli("kv", "put", "secret/payments/config", "api_key=first-version");
        openBao.cli("kv", "put", "secret/payments/config", "api_key=second-version");

        Map<String, String> config = new HashMap<>();
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret(work, "openbao-token", openBao.rootToken()));
        config.put("lanyard.vault.doomed.address", doomed.address());
        config.put("lanyard.vault.doomed.auth.token", "file:" + secret(work, "doomed-token", doomed.rootToken()));
        return config;
    }

    private static Path secret(Path work, String name, String value) {
        try {
            return Files.writeString(work.resolve(name), value).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(openBao, field -> PostgresResource.peer(VaultPeer.class).test(field)
                && field.getAnnotation(InjectPeer.class).value().equals("openbao"));
        injector.injectIntoFields(doomed, field -> PostgresResource.peer(VaultPeer.class).test(field)
                && field.getAnnotation(InjectPeer.class).value().equals("doomed"));
    }

    @Override
    public void stop() {
        if (doomed != null) {
            doomed.stop();
        }
        if (openBao != null) {
            openBao.stop();
        }
    }
}
