package dev.lanyard.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * moto in server mode, playing AWS (Secrets Manager, STS, IAM) on a free loopback port for the dev stack and the
 * tests: {@code $LANYARD_MOTO} (scripts/peers.sh's {@code lanyard_install_moto} installs it into .cache/venv) or
 * {@code moto_server} on the PATH. moto accepts any access key, and keeps everything in memory until it stops.
 */
public final class MotoServer implements AutoCloseable {

    /** The region the dev stack and the tests use. */
    public static final String REGION = "us-east-1";

    private final Process process;
    private final URI endpoint;
    private final Path log;

    private MotoServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    public static Optional<Path> findBinary() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("LANYARD_MOTO")).filter(p -> !p.isBlank()).ifPresent(p -> candidates.add(Path.of(p)));
        candidates.add(Path.of(".cache/venv/bin/moto_server"));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, "moto_server"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toAbsolutePath);
    }

    public static MotoServer start(Path binary, Path workDirectory) {
        int port = FreePort.pick();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        try {
            Files.createDirectories(workDirectory);
            Path log = workDirectory.resolve("moto-" + port + ".log");
            Process process = new ProcessBuilder(binary.toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            MotoServer server = new MotoServer(process, endpoint, log);
            server.awaitReady();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("moto did not start", e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    public int port() {
        return endpoint.getPort();
    }

    public boolean running() {
        return process.isAlive();
    }

    private void awaitReady() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited during start-up; see " + log);
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto", e);
            }
        }
        stop();
        throw new IllegalStateException("moto_server did not answer within 60 s; see " + log);
    }

    /** Stops the server (and everything it holds); idempotent. */
    public void stop() {
        ChildProcesses.stop(process);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "moto at " + endpoint + " (log " + log + ")";
    }
}
