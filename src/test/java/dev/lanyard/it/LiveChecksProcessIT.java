package dev.lanyard.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The standing live checks: the packaged Lanyard as a separate process against a real PostgreSQL and OpenBao,
 * probed by clients that share no code with it (src/test/live): Schemathesis against /q/openapi, a canary scan,
 * and the hostile-input suite. Each check fails on any finding and prints what it found.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveChecksProcessIT {

    private static final Path SUITES = Path.of("src", "test", "live").toAbsolutePath();
    private static final String CANARY_PATH = "secret/canary/config";

    private Path work;
    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private Process lanyard;
    private PackagedLanyard lanyardProcess;
    private int port;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private String token;

    @BeforeAll
    void startPeersAndLanyard() throws Exception {
        work = Files.createTempDirectory("lanyard-live-");
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh")), work.resolve("openbao"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "app", Duration.ofMinutes(10),
                Duration.ofHours(1));
        lanyardProcess = new PackagedLanyard(work);
        lanyardProcess.migrate(database);
        String canary = "canary-" + HexFormat.of().formatHex(random(16));
        openBao.cli("kv", "put", CANARY_PATH, "api_key=" + canary);
        openBao.cli("kv", "put", "secret/live/config", "api_key=not-the-canary");

        token = ApiTokens.generate(new SecureRandom());
        String nobody = ApiTokens.generate(new SecureRandom());
        port = FreePort.pick();
        Map<String, String> config = new LinkedHashMap<>(database.lanyardConfig());
        config.put("quarkus.http.host", "127.0.0.1");
        config.put("quarkus.http.port", String.valueOf(port));
        config.put("lanyard.audit.lease-hmac-key", "file:" + secret("hmac", Base64.getEncoder().encodeToString(random(32))));
        config.put("lanyard.audit.signing-key", "file:" + secret("signing", Base64.getEncoder().encodeToString(random(32))));
        config.put("lanyard.audit.checkpoint-file", work.resolve("checkpoints.jsonl").toString());
        config.put("lanyard.vault.openbao.address", openBao.address());
        config.put("lanyard.vault.openbao.auth.token", "file:" + secret("bao", openBao.rootToken()));
        config.put("lanyard.auth.bootstrap-tokens.probe", "file:" + secret("token-probe", token));
        config.put("lanyard.auth.bootstrap-tokens.nobody", "file:" + secret("token-nobody", nobody));
        config.put("lanyard.policy.probe.subjects", "token:probe");
        config.put("lanyard.policy.probe.rules[0].paths", "**");
        config.put("lanyard.policy.probe.rules[0].capabilities", "read,issue,renew,revoke");
        // Administration the probes may exercise without locking themselves out: listing tokens, managing only tokens
        // named st-*, signing checkpoints. Their own token (tokens/probe) stays out of reach.
        config.put("lanyard.policy.probe.rules[1].paths", "lanyard/tokens,lanyard/tokens/st-*");
        config.put("lanyard.policy.probe.rules[1].capabilities", "token:admin");
        config.put("lanyard.policy.probe.rules[2].paths", "audit/**");
        config.put("lanyard.policy.probe.rules[2].capabilities", "audit:read,audit:admin");
        // The hostile suite sends hundreds of refused requests from one address and checks each one's row.
        config.put("lanyard.http.anonymous-refusals-per-minute", "100000");
        lanyard = lanyardProcess.start(config, "live");
        lanyardProcess.awaitReady(lanyard, "http://127.0.0.1:" + port);

        environment.put("LANYARD_PORT", String.valueOf(port));
        environment.put("LANYARD_TOKEN_FILE", work.resolve("token-probe").toString());
        environment.put("LANYARD_OTHER_TOKEN_FILE", work.resolve("token-nobody").toString());
        environment.put("LANYARD_DB_PORT", String.valueOf(database.port()));
        environment.put("LANYARD_DB_NAME", EmbeddedDatabase.DATABASE);
        environment.put("LANYARD_DB_PASSWORD", database.superuserPassword());
        environment.put("LANYARD_LOG_FILE", lanyardProcess.log("live").toString());
        environment.put("LANYARD_CANARY", canary);
        environment.put("LANYARD_CANARY_PATH", CANARY_PATH);
    }

    @AfterAll
    void stopEverything() {
        if (lanyard != null) {
            lanyard.destroyForcibly();
        }
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }

    /**
     * The OpenAPI document is the contract: every check Schemathesis has, at zero failures. Valid requests are served
     * (or refused for who asks or what exists, never for their shape), invalid ones refused, every answer's status,
     * headers and body as documented, and a method a path does not take answered 405 with {@code Allow}. Its two
     * adjustments are in src/test/live and say why: 413/414/431 count as refusals (schemathesis.toml), and a read is not
     * sent both version and stage, a rule between two parameters OpenAPI cannot state (schemathesis_hooks.py). Bounded
     * in examples and time; a fixed seed so a finding can be replayed (LANYARD_SCHEMATHESIS_SEED).
     */
    @Test
    @Order(1)
    void schemathesisFindsTheServiceKeepingItsDocumentWithEveryCheck() throws Exception {
        environment.put("SCHEMATHESIS_HOOKS", SUITES.resolve("schemathesis_hooks.py").toString());
        run("schemathesis", List.of(venvTool("schemathesis").toString(),
                "--config-file", SUITES.resolve("schemathesis.toml").toString(),
                "run", "http://127.0.0.1:" + port + "/q/openapi",
                "--header", "Authorization: Bearer " + token, "--checks", "all",
                "--max-examples", "25", "--max-time", "120", "--request-timeout", "10", "--workers", "2",
                "--seed", System.getenv().getOrDefault("LANYARD_SCHEMATHESIS_SEED", "20261201"),
                "--no-color", "--output-truncate", "true"), Duration.ofMinutes(4));
    }

    @Test
    @Order(2)
    void theCanaryAndIssuedCredentialsAppearNowhereButTheirOwnAnswers() throws Exception {
        run("canary", List.of(venvTool("python").toString(), SUITES.resolve("canary.py").toString()), Duration.ofMinutes(2));
    }

    @Test
    @Order(3)
    void hostileRequestsGetNoServerErrorAndExactlyOneAuditRowEach() throws Exception {
        run("hostile", List.of(venvTool("python").toString(), SUITES.resolve("hostile.py").toString()), Duration.ofMinutes(3));
    }

    private void run(String name, List<String> command, Duration limit) throws Exception {
        // In the scratch directory: Schemathesis keeps a cache in its working directory.
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(work.toFile());
        builder.environment().putAll(environment);
        Path output = work.resolve(name + ".out");
        builder.redirectOutput(output.toFile());
        Instant started = Instant.now();
        Process check = builder.start();
        boolean finished = check.waitFor(limit.toSeconds(), TimeUnit.SECONDS);
        if (!finished) {
            check.destroyForcibly();
        }
        String printed = Files.readString(output);
        System.out.printf("live check %s: %d s%n", name, Duration.between(started, Instant.now()).toSeconds());
        assertThat(finished).as("%s did not finish within %s:%n%s", name, limit, printed).isTrue();
        assertThat(check.exitValue()).as("%s found problems (Lanyard's log: %s):%n%s", name,
                lanyardProcess.log("live"), printed).isZero();
    }

    /** The Python tools live in the project's venv, beside the bao binary scripts/peers.sh installed there. */
    private static Path venvTool(String name) {
        String venv = System.getenv("LANYARD_VENV");
        Path bin = venv != null ? Path.of(venv, "bin") : OpenBaoDevServer.findBinary().orElseThrow().toAbsolutePath().getParent();
        Path tool = bin.resolve(name);
        assertThat(tool).as("%s is installed by scripts/peers.sh (lanyard_install_live_checks)", tool).isExecutable();
        return tool;
    }

    private Path secret(String name, String value) throws IOException {
        return Files.writeString(work.resolve(name), value);
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
