package dev.lanyard.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * An OpenBao dev server ({@code bao server -dev}) on a free loopback port: in-memory, unsealed, with a random
 * root token. Used by the default run and by the tests; it is never a production set-up.
 */
public final class OpenBaoDevServer implements AutoCloseable {

    private final Path binary;
    private final Process process;
    private final String address;
    private final String rootToken;
    private final Path log;
    private final Path auditLog;

    private OpenBaoDevServer(Path binary, Process process, String address, String rootToken, Path log, Path auditLog) {
        this.binary = binary;
        this.process = process;
        this.address = address;
        this.rootToken = rootToken;
        this.log = log;
        this.auditLog = auditLog;
    }

    private static Path auditLog(Path workDirectory, int port) {
        return workDirectory.resolve("openbao-" + port + "-audit.log");
    }

    /** OpenBao's audit log: one JSON line per request and per response it handled. */
    public Path auditLog() {
        return auditLog;
    }

    /** The {@code bao} binary: {@code $LANYARD_BAO}, the project's tool cache, or the PATH. */
    public static Optional<Path> findBinary() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("LANYARD_BAO")).ifPresent(p -> candidates.add(Path.of(p)));
        Optional.ofNullable(System.getProperty("lanyard.bao")).ifPresent(p -> candidates.add(Path.of(p)));
        candidates.add(Path.of(".cache/venv/bin/bao"));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "bao"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toAbsolutePath);
    }

    public static OpenBaoDevServer start(Path binary, Path workDirectory) {
        int port = FreePort.pick();
        byte[] tokenBytes = new byte[16];
        new SecureRandom().nextBytes(tokenBytes);
        String rootToken = "dev-" + HexFormat.of().formatHex(tokenBytes);
        String address = "http://127.0.0.1:" + port;
        try {
            Files.createDirectories(workDirectory);
            Path log = workDirectory.resolve("openbao-" + port + ".log");
            // OpenBao enables audit devices only from configuration; its own record of every request lets tests
            // prove from the backend's side what Lanyard did (and did not) send.
            Path config = workDirectory.resolve("openbao-" + port + ".hcl");
            Files.writeString(config, "audit \"file\" \"requests\" {\n  options {\n    file_path = \""
                    + auditLog(workDirectory, port).toAbsolutePath() + "\"\n  }\n}\n");
            ProcessBuilder builder = new ProcessBuilder(binary.toString(), "server", "-dev",
                    "-dev-root-token-id=" + rootToken, "-dev-listen-address=127.0.0.1:" + port, "-log-level=debug",
                    "-config=" + config.toAbsolutePath())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("HOME", workDirectory.toAbsolutePath().toString());
            Process process = builder.start();
            OpenBaoDevServer server = new OpenBaoDevServer(binary, process, address, rootToken, log,
                    auditLog(workDirectory, port));
            server.awaitReady(Duration.ofSeconds(30));
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("OpenBao did not start", e);
        }
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("OpenBao exited during start-up; see " + log);
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(address + "/v1/sys/health")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for OpenBao", e);
            }
            sleep(100);
        }
        close();
        throw new IllegalStateException("OpenBao did not become ready within " + timeout + "; see " + log);
    }

    public String address() {
        return address;
    }

    public String rootToken() {
        return rootToken;
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /**
     * Runs a {@code bao} CLI command against this server as root and returns its standard output.
     * Fails with the command's output when it exits non-zero.
     */
    public String cli(String... args) {
        return cli(Map.of(), args);
    }

    public String cli(Map<String, String> extraEnvironment, String... args) {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("BAO_ADDR", address);
        builder.environment().put("BAO_TOKEN", rootToken);
        builder.environment().put("VAULT_ADDR", address);
        builder.environment().put("VAULT_TOKEN", rootToken);
        builder.environment().putAll(extraEnvironment);
        try {
            Process cli = builder.start();
            String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!cli.waitFor(60, TimeUnit.SECONDS) || cli.exitValue() != 0) {
                throw new IllegalStateException("bao " + args[0] + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Enables the database secrets engine at {@code database/} against the given PostgreSQL and creates a role
     * whose credentials are PostgreSQL logins that expire with their lease.
     */
    public void configureDatabaseEngine(int postgresPort, String superuserPassword, String role, Duration defaultTtl,
                                        Duration maxTtl) {
        cli("secrets", "enable", "database");
        cli("write", "database/config/lanyard-postgres",
                "plugin_name=postgresql-database-plugin",
                "allowed_roles=*",
                "verify_connection=true",
                "connection_url=postgresql://{{username}}:{{password}}@127.0.0.1:" + postgresPort + "/postgres?sslmode=disable",
                "username=postgres",
                "password=" + superuserPassword);
        createDatabaseRole(role, defaultTtl, maxTtl);
    }

    public void createDatabaseRole(String role, Duration defaultTtl, Duration maxTtl) {
        cli("write", "database/roles/" + role,
                "db_name=lanyard-postgres",
                "creation_statements=CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
                "default_ttl=" + defaultTtl.toSeconds() + "s",
                "max_ttl=" + maxTtl.toSeconds() + "s");
    }

    /** Stops the server (and so everything in its memory); idempotent. */
    public void stop() {
        ChildProcesses.stop(process);
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
