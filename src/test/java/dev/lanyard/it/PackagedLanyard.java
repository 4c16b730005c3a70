package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.devstack.EmbeddedDatabase;
import java.io.IOException;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The packaged Lanyard ({@code target/quarkus-app/quarkus-run.jar}, failsafe's {@code lanyard.app.jar}) run as
 * separate processes, the way an operator runs it: the owner's migration step first, then any number of replicas,
 * each logging (stdout and stderr) to {@code lanyard-<name>.log} in the work directory.
 */
final class PackagedLanyard {

    private final Path work;
    private final Map<Process, String> names = new ConcurrentHashMap<>();

    PackagedLanyard(Path work) {
        this.work = work;
    }

    /** The jar's own {@code migrate} step as the schema owner; fails the test if it does not succeed. */
    void migrate(EmbeddedDatabase database) throws Exception {
        Path password = Files.writeString(work.resolve("owner-password"), database.ownerPassword());
        Process migration = start(database.ownerConfig("file:" + password), "migrate", "migrate");
        assertThat(migration.waitFor(120, TimeUnit.SECONDS)).as("migration finished").isTrue();
        assertThat(migration.exitValue()).as("migration exit code; see " + log("migrate")).isZero();
    }

    /** Starts the jar with {@code config} as system properties and the given command-line arguments. */
    Process start(Map<String, String> config, String name, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        config.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(System.getProperty("lanyard.app.jar", "target/quarkus-app/quarkus-run.jar"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log(name).toFile()).start();
        names.put(process, name);
        return process;
    }

    Path log(String name) {
        return work.resolve("lanyard-" + name + ".log");
    }

    /** Waits (at most 90 s) until {@code base}/q/health/ready answers 200; fails at once if the process exits. */
    void awaitReady(Process process, String base) throws Exception {
        String name = names.getOrDefault(process, "?");
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        Instant deadline = Instant.now().plusSeconds(90);
        while (Instant.now().isBefore(deadline)) {
            assertThat(process.isAlive()).as("Lanyard exited; see " + log(name)).isTrue();
            try {
                if (client.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Lanyard did not become ready within 90 s; see " + log(name));
    }
}
