package dev.lanyard.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.Testcontainers;
import org.testcontainers.containers.Container;
import org.testcontainers.vault.VaultContainer;

/**
 * Vault in a container through Testcontainers ({@code LANYARD_VAULT_PEER=testcontainers}), for machines with a Docker
 * engine; the image is {@code LANYARD_VAULT_IMAGE} (default {@code hashicorp/vault:1.18}, or an {@code openbao/openbao}
 * image). The container reaches the tests' PostgreSQL on the host through Testcontainers' host port exposure. Where
 * no Docker engine exists (as on the project's own machines) starting it fails with that reason; the suite's default is
 * the local {@code bao}.
 */
final class ContainerVault implements VaultPeer {

    private static final String IMAGE = System.getenv().getOrDefault("LANYARD_VAULT_IMAGE", "hashicorp/vault:1.18");
    private static final String AUDIT_LOG = "/tmp/lanyard-audit.log";

    private final VaultContainer<?> container;
    private final String rootToken;
    private final Path localAuditLog;
    private final String cli;

    private ContainerVault(VaultContainer<?> container, String rootToken, Path localAuditLog) {
        this.container = container;
        this.rootToken = rootToken;
        this.localAuditLog = localAuditLog;
        this.cli = IMAGE.contains("openbao") ? "bao" : "vault";
    }

    @SuppressWarnings("resource") // stopped by stop()
    static ContainerVault start(Path work) {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new IllegalStateException("LANYARD_VAULT_PEER=testcontainers needs a Docker engine, and none is reachable");
        }
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        String token = "dev-" + HexFormat.of().formatHex(bytes);
        VaultContainer<?> container = new VaultContainer<>(IMAGE).withVaultToken(token);
        container.start();
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ContainerVault vault = new ContainerVault(container, token, work.resolve("audit.log"));
        vault.cli("audit", "enable", "file", "file_path=" + AUDIT_LOG);
        return vault;
    }

    @Override
    public String address() {
        return "http://" + container.getHost() + ":" + container.getMappedPort(8200);
    }

    @Override
    public String rootToken() {
        return rootToken;
    }

    @Override
    public String cli(String... args) {
        List<String> command = new ArrayList<>(List.of("env", "VAULT_ADDR=http://127.0.0.1:8200", "BAO_ADDR=http://127.0.0.1:8200",
                "VAULT_TOKEN=" + rootToken, "BAO_TOKEN=" + rootToken, cli));
        command.addAll(List.of(args));
        try {
            Container.ExecResult result = container.execInContainer(command.toArray(String[]::new));
            if (result.getExitCode() != 0) {
                throw new IllegalStateException(cli + " " + args[0] + " failed: " + result.getStdout() + result.getStderr());
            }
            return result.getStdout();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Path auditLog() {
        container.copyFileFromContainer(AUDIT_LOG, localAuditLog.toString());
        return localAuditLog;
    }

    @Override
    public void configureDatabaseEngine(int postgresPort, String superuserPassword, String role, Duration defaultTtl,
                                        Duration maxTtl) {
        Testcontainers.exposeHostPorts(postgresPort);
        cli("secrets", "enable", "database");
        cli("write", "database/config/lanyard-postgres", "plugin_name=postgresql-database-plugin", "allowed_roles=*",
                "verify_connection=true",
                "connection_url=postgresql://{{username}}:{{password}}@host.testcontainers.internal:" + postgresPort
                        + "/postgres?sslmode=disable",
                "username=postgres", "password=" + superuserPassword);
        createDatabaseRole(role, defaultTtl, maxTtl);
    }

    @Override
    public void createDatabaseRole(String role, Duration defaultTtl, Duration maxTtl) {
        cli("write", "database/roles/" + role, "db_name=lanyard-postgres",
                "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
                "default_ttl=" + defaultTtl.toSeconds() + "s", "max_ttl=" + maxTtl.toSeconds() + "s");
    }

    @Override
    public void stop() {
        container.stop();
    }

    @Override
    public String describe() {
        return "Testcontainers " + IMAGE + " at " + address();
    }
}
