package dev.lanyard.it;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A Vault-API server for the integration tests, however it runs: the local {@code bao} dev server (the default, and the
 * only one these machines can run) or a Testcontainers Vault container where a Docker engine exists. The same ITs run
 * against either.
 */
public interface VaultPeer extends AutoCloseable {

    /** The Vault address Lanyard is configured with. */
    String address();

    String rootToken();

    /** Runs the server's CLI ({@code bao} or {@code vault}) as root and returns its output; fails on a non-zero exit. */
    String cli(String... args);

    /** The server's audit log as a local file, refreshed on each call: one JSON line per request and response. */
    Path auditLog();

    /** Enables the database engine against the tests' PostgreSQL and creates {@code role}. */
    void configureDatabaseEngine(int postgresPort, String superuserPassword, String role, Duration defaultTtl, Duration maxTtl);

    void createDatabaseRole(String role, Duration defaultTtl, Duration maxTtl);

    /** Stops the server (and everything in its memory); idempotent. */
    void stop();

    /** What the suite prints about this peer. */
    String describe();

    @Override
    default void close() {
        stop();
    }

    /** A server of the kind {@code LANYARD_VAULT_PEER} chooses ({@code bao}, the default, or {@code testcontainers}). */
    static VaultPeer start(String name, Path work) {
        String kind = System.getenv().getOrDefault("LANYARD_VAULT_PEER", "bao");
        VaultPeer peer = switch (kind) {
            case "bao" -> LocalOpenBao.start(work.resolve(name));
            case "testcontainers" -> ContainerVault.start(work.resolve(name));
            default -> throw new IllegalStateException("LANYARD_VAULT_PEER must be bao or testcontainers, not " + kind);
        };
        System.out.println("Vault peer '" + name + "': " + peer.describe());
        return peer;
    }
}
