package dev.lanyard.devstack;

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
import java.util.concurrent.TimeUnit;

/**
 * The one-command demo ({@code scripts/run.sh}): starts the dev stack's peers, runs the production jar's own migration
 * step as the schema owner, then the production jar itself as a child process with the demo configuration, and prints
 * the commands to try once it answers. Nothing of this is in the production artifact; Ctrl-C stops Lanyard first
 * (its final audit checkpoint needs the database), then the peers.
 */
public final class DevStackLauncher {

    private DevStackLauncher() {}

    public static void main(String[] args) throws Exception {
        Path directory = Path.of(".cache", "dev").toAbsolutePath();
        // The benchmark compares builds by pointing this at another copy of the packaged application.
        Path jar = Path.of(System.getenv().getOrDefault("LANYARD_APP_JAR", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        int port = Integer.parseInt(System.getenv().getOrDefault("LANYARD_PORT", "8200"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The JVM settings the service ships with (as the container starts it), then the caller's additions.
        Path jvmOptions = Path.of(System.getenv().getOrDefault("LANYARD_JVM_OPTIONS", "src/main/jvm/jvm.options"));
        String javaOptions = (Files.isRegularFile(jvmOptions) ? "@" + jvmOptions.toAbsolutePath() + " " : "")
                + System.getenv().getOrDefault("LANYARD_JAVA_OPTS", "");

        step("starting PostgreSQL and " + (OpenBaoDevServer.findBinary().isPresent() ? "OpenBao" : "the local store")
                + " in " + directory);
        Files.createDirectories(directory);
        DevStack stack = DevStack.start(directory, port);

        step("migrating the schema as its owner (java -jar quarkus-run.jar migrate)");
        Process migrate = child(java, javaOptions, jar, stack.ownerConfiguration(), List.of("migrate")).inheritIO().start();
        if (!migrate.waitFor(120, TimeUnit.SECONDS) || migrate.exitValue() != 0) {
            stack.close();
            throw new IllegalStateException("the migration step failed");
        }

        step("starting Lanyard on http://127.0.0.1:" + port);
        Process lanyard = child(java, javaOptions, jar, stack.configuration(), List.of(args)).inheritIO().start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            lanyard.destroy(); // SIGTERM: Lanyard drains and signs its final checkpoint
            try {
                lanyard.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            stack.close();
        }, "dev-stack-stop"));
        if (awaitReady(lanyard, "http://127.0.0.1:" + port)) {
            System.out.println(stack.greeting());
            System.out.flush();
        }
        System.exit(lanyard.waitFor());
    }

    private static void step(String what) {
        System.out.println("==> " + what);
        System.out.flush();
    }

    private static ProcessBuilder child(String java, String javaOptions, Path jar, Map<String, String> config,
                                        List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(java);
        for (String option : javaOptions.trim().split("\\s+")) {
            if (!option.isEmpty()) {
                command.add(option);
            }
        }
        config.forEach((key, value) -> {
            if (!key.equals("quarkus.datasource.password")) {
                command.add("-D" + key + "=" + value);
            }
        });
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(arguments);
        ProcessBuilder builder = new ProcessBuilder(command);
        // The one password Quarkus takes by value goes through the environment, not the command line others can read.
        if (config.containsKey("quarkus.datasource.password")) {
            builder.environment().put("QUARKUS_DATASOURCE_PASSWORD", config.get("quarkus.datasource.password"));
        }
        return builder;
    }

    private static boolean awaitReady(Process lanyard, String base) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant giveUp = Instant.now().plusSeconds(180);
        while (Instant.now().isBefore(giveUp) && lanyard.isAlive()) {
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return true;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        System.err.println(lanyard.isAlive() ? "Lanyard did not become ready within 3 minutes" : "Lanyard exited");
        return false;
    }
}
