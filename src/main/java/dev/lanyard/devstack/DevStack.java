package dev.lanyard.devstack;

import dev.lanyard.auth.ApiTokens;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The embedded defaults behind the one-command start: PostgreSQL (unless a database URL is configured), an
 * OpenBao dev server seeded with a demo secret and a demo database role when the {@code bao} binary is
 * available (otherwise the built-in local store with a demo secret), a demo API token and a policy for it.
 */
public final class DevStack implements AutoCloseable {

    private final EmbeddedDatabase database;
    private final OpenBaoDevServer openBao;
    private final Map<String, String> configuration;
    private final String greeting;

    private DevStack(EmbeddedDatabase database, OpenBaoDevServer openBao, Map<String, String> configuration, String greeting) {
        this.database = database;
        this.openBao = openBao;
        this.configuration = configuration;
        this.greeting = greeting;
    }

    public static DevStack start(Path directory) {
        SecureRandom random = new SecureRandom();
        Map<String, String> config = new LinkedHashMap<>();
        EmbeddedDatabase database = null;
        if (System.getenv("QUARKUS_DATASOURCE_REACTIVE_URL") == null) {
            database = EmbeddedDatabase.start(directory.resolve("postgres"));
            database.migrate();
            config.putAll(database.lanyardConfig());
        }
        // The demo is for this machine only.
        config.put("quarkus.http.host", "127.0.0.1");
        String token = ApiTokens.generate(random);
        config.put("lanyard.auth.bootstrap-tokens.demo", "file:" + writeSecret(directory.resolve("demo-token"), token));
        config.put("lanyard.audit.lease-hmac-key", "file:" + writeSecret(directory.resolve("lease-hmac.key"), randomKey(random)));
        config.put("lanyard.audit.signing-key", "file:" + writeSecret(directory.resolve("audit-signing.key"), randomKey(random)));
        Path checkpoints = directory.resolve("audit-checkpoints.jsonl");
        deleteRecursively(checkpoints); // the embedded database starts empty, so does its chain
        config.put("lanyard.audit.checkpoint-file", checkpoints.toAbsolutePath().toString());
        config.put("lanyard.audit.archive-directory", directory.resolve("audit-archive").toAbsolutePath().toString());
        config.put("lanyard.policy.demo.subjects", "token:demo");
        config.put("lanyard.policy.demo.rules[0].paths", "**");
        config.put("lanyard.policy.demo.rules[0].capabilities", "read,issue,renew,revoke");
        config.put("lanyard.policy.demo.rules[1].paths", "audit/**");
        config.put("lanyard.policy.demo.rules[1].capabilities", "audit:read");

        Optional<Path> bao = OpenBaoDevServer.findBinary();
        OpenBaoDevServer openBao = null;
        String port = System.getProperty("quarkus.http.port", Optional.ofNullable(System.getenv("QUARKUS_HTTP_PORT")).orElse("8200"));
        String base = "http://127.0.0.1:" + port;
        StringBuilder greeting = new StringBuilder("\nLanyard dev stack is up. Your demo token is in " + directory.resolve("demo-token") + "\n");
        if (bao.isPresent()) {
            openBao = OpenBaoDevServer.start(bao.get(), directory.resolve("openbao"));
            openBao.cli("kv", "put", "secret/demo/hello", "greeting=hello from OpenBao");
            if (database != null) {
                openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "demo", Duration.ofMinutes(15), Duration.ofHours(1));
            }
            config.put("lanyard.vault.openbao.address", openBao.address());
            config.put("lanyard.vault.openbao.auth.token", "file:" + writeSecret(directory.resolve("openbao-token"), openBao.rootToken()));
            greeting.append("Backend: OpenBao dev server at ").append(openBao.address()).append("\n\n")
                    .append("  curl -s -X POST -H \"Authorization: Bearer $(cat ").append(directory.resolve("demo-token"))
                    .append(")\" ").append(base).append("/v1/creds/openbao/database/creds/demo\n")
                    .append("  curl -s -H \"Authorization: Bearer $(cat ").append(directory.resolve("demo-token"))
                    .append(")\" ").append(base).append("/v1/secrets/openbao/secret/demo/hello\n");
        } else {
            Path store = directory.resolve("local-store");
            // A fresh key every run, so a fresh store too: values sealed under the old key could not be read.
            deleteRecursively(store);
            String key = writeSecret(directory.resolve("local-store.key"), dev.lanyard.backend.local.LocalKey.generate()).toString();
            config.put("lanyard.local.local.store-dir", store.toString());
            config.put("lanyard.local.local.key", "file:" + key);
            LocalSeed.seed(store, "file:" + key);
            greeting.append("Backend: built-in local store (install OpenBao for dynamic credentials)\n\n")
                    .append("  curl -s -H \"Authorization: Bearer $(cat ").append(directory.resolve("demo-token"))
                    .append(")\" ").append(base).append("/v1/secrets/local/demo/hello\n");
        }
        writeStackFile(directory, database, openBao, port);
        return new DevStack(database, openBao, config, greeting.toString());
    }

    /** Where everything runs, for scripts (benchmark, demos) that drive the stack from outside. */
    private static void writeStackFile(Path directory, EmbeddedDatabase database, OpenBaoDevServer openBao, String port) {
        Map<String, Object> stack = new LinkedHashMap<>();
        stack.put("lanyard_url", "http://127.0.0.1:" + port);
        stack.put("demo_token_file", directory.resolve("demo-token").toAbsolutePath().toString());
        if (database != null) {
            stack.put("postgres_port", database.port());
            stack.put("postgres_database", EmbeddedDatabase.DATABASE);
        }
        if (openBao != null) {
            stack.put("openbao_address", openBao.address());
            stack.put("openbao_token_file", directory.resolve("openbao-token").toAbsolutePath().toString());
        }
        try {
            Files.writeString(directory.resolve("stack.json"), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(stack));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomKey(SecureRandom random) {
        byte[] key = new byte[32];
        random.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    private static Path writeSecret(Path file, String value) {
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, value);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Map<String, String> configuration() {
        return configuration;
    }

    public String greeting() {
        return greeting;
    }

    @Override
    public void close() {
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
