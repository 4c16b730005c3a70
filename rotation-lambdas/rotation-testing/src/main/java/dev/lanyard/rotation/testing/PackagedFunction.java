package dev.lanyard.rotation.testing;

import com.amazonaws.services.lambda.runtime.events.SecretsManagerRotationEvent;
import dev.lanyard.rotation.protocol.SecretJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A function's deployment package, unpacked the way Lambda unpacks it (classes at the root, jars in {@code lib/}),
 * run in fresh JVMs with {@code LocalInvoke}: one JVM is one execution environment. The JVM gets only the
 * environment a function gets in Lambda (region, endpoint, credentials, the function's own variables), not the
 * test's.
 */
public final class PackagedFunction {
    private static final String LAUNCHER = "dev.lanyard.rotation.protocol.LocalInvoke";

    private final Path directory;
    private final String handlerClass;

    private PackagedFunction(Path directory, String handlerClass) {
        this.directory = directory;
        this.handlerClass = handlerClass;
    }

    /** The package at the system property {@code lambda.zip} (the build sets it), unpacked under {@code work}. */
    public static PackagedFunction fromBuild(String handlerClass, Path work) {
        String zip = System.getProperty("lambda.zip");
        if (zip == null || !Files.isRegularFile(Path.of(zip))) {
            throw new IllegalStateException("lambda.zip does not name a built package (" + zip + "): run after package");
        }
        return unpack(Path.of(zip), handlerClass, work);
    }

    public static PackagedFunction unpack(Path zip, String handlerClass, Path work) {
        try {
            Path directory = Files.createTempDirectory(Files.createDirectories(work), "task-").toAbsolutePath();
            try (ZipInputStream entries = new ZipInputStream(Files.newInputStream(zip))) {
                for (ZipEntry entry; (entry = entries.getNextEntry()) != null; ) {
                    Path target = directory.resolve(entry.getName()).normalize();
                    if (!target.startsWith(directory)) {
                        throw new IllegalStateException("zip entry outside the package: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(entries, target);
                    }
                }
            }
            return new PackagedFunction(directory, handlerClass);
        } catch (IOException e) {
            throw new UncheckedIOException("could not unpack " + zip, e);
        }
    }

    /** Runs {@code events} in one fresh JVM, in order, and waits for it to end. */
    public Invocation invoke(Map<String, String> environment, SecretsManagerRotationEvent... events) {
        return invokeUntil(environment, line -> false, events);
    }

    /**
     * Like {@link #invoke}, but kills the JVM (SIGKILL) as soon as it writes a log line that {@code killWhen}
     * accepts: the state Secrets Manager sees when an execution environment dies before reporting back.
     */
    public Invocation invokeUntil(Map<String, String> environment, Predicate<String> killWhen,
            SecretsManagerRotationEvent... events) {
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-cp",
                directory + ":" + directory.resolve("lib") + "/*", LAUNCHER, handlerClass));
        for (SecretsManagerRotationEvent event : events) {
            command.add(writeEvent(event).toString());
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            long start = System.nanoTime();
            Process process = builder.start();
            CompletableFuture<String> errors = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
            List<String> lines = new ArrayList<>();
            boolean killed = false;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                    if (killWhen.test(line)) {
                        process.destroyForcibly();
                        killed = true;
                        break;
                    }
                }
            }
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("the function's JVM did not end within 120 s");
            }
            double wallMs = (System.nanoTime() - start) / 1e6;
            return new Invocation(process.exitValue(), killed, lines, errors.join().lines().toList(), wallMs);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the function's JVM", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the function ran", e);
        }
    }

    /**
     * How long a JVM with {@code environment} takes to start and end without loading a handler (the launcher
     * prints its usage): the floor under every cold start.
     */
    public double bareJvmMs(Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(javaExecutable(), "-cp", directory + ":" + directory.resolve("lib") + "/*",
                LAUNCHER).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            long start = System.nanoTime();
            Process process = builder.start();
            process.waitFor(60, TimeUnit.SECONDS);
            return (System.nanoTime() - start) / 1e6;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Path writeEvent(SecretsManagerRotationEvent event) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("Step", event.getStep());
        json.put("SecretId", event.getSecretId());
        json.put("ClientRequestToken", event.getClientRequestToken());
        try {
            Path file = Files.createTempFile(directory, "event-", ".json");
            Files.writeString(file, SecretJson.write(json));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static String readAll(InputStream stream) {
        try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * How one JVM went: its exit status, whether the test killed it, what it wrote, how long it lived, and the
     * timings {@code LocalInvoke} reported (init, then each step, in milliseconds).
     */
    public record Invocation(int exitStatus, boolean killed, List<String> stdout, List<String> stderr, double wallMs) {

        public List<Map<String, Object>> timings() {
            return stderr.stream().filter(line -> line.startsWith("LocalInvoke: {"))
                    .map(line -> SecretJson.parseObject(line.substring("LocalInvoke: ".length()))).toList();
        }

        public Optional<Double> millis(String phase) {
            return timings().stream().filter(timing -> phase.equals(timing.get("phase")))
                    .map(timing -> ((Number) timing.get("ms")).doubleValue()).findFirst();
        }
    }
}
