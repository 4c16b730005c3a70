package dev.lanyard.devstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.auth.ApiTokens;
import dev.lanyard.backend.local.LocalKey;
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
 * available (otherwise the built-in local store with a demo secret), moto playing AWS with a demo secret in two versions
 * and a role to assume when {@code moto_server} is, a demo API token and a policy for it.
 */
public final class DevStack implements AutoCloseable {

    private final EmbeddedDatabase database;
    private final OpenBaoDevServer openBao;
    private final MotoServer moto;
    private final Map<String, String> configuration;
    private final String greeting;

    private final Path directory;

    private DevStack(EmbeddedDatabase database, OpenBaoDevServer openBao, MotoServer moto, Map<String, String> configuration,
                     String greeting, Path directory) {
        this.database = database;
        this.openBao = openBao;
        this.moto = moto;
        this.configuration = configuration;
        this.greeting = greeting;
        this.directory = directory;
    }

    /** Configuration for the schema owner's migration step, with the owner's password in a private file. */
    public Map<String, String> ownerConfiguration() {
        return database.ownerConfig("file:" + writeSecret(directory.resolve("owner-password"), database.ownerPassword()));
    }

    /**
     * Starts the peers in {@code directory} and prepares Lanyard's configuration for port {@code port}. The database
     * is not migrated yet: that is the owner's step ({@link #ownerConfiguration()}), run before Lanyard starts.
     */
    public static DevStack start(Path directory, int port) {
        SecureRandom random = new SecureRandom();
        Map<String, String> config = new LinkedHashMap<>();
        EmbeddedDatabase database = EmbeddedDatabase.start(directory.resolve("postgres"));
        config.putAll(database.lanyardConfig());
        config.put("quarkus.http.port", String.valueOf(port));
        // The demo is for this machine only.
        config.put("quarkus.http.host", "127.0.0.1");
        // Lines for the person at the terminal (production logs JSON), and a stop without the load balancers' drain.
        config.put("quarkus.log.console.json.enabled", "false");
        config.put("lanyard.shutdown.drain-delay", "0s");
        String token = ApiTokens.generate(random);
        config.put("lanyard.auth.bootstrap-tokens.demo", "file:" + writeSecret(directory.resolve("demo-token"), token));
        config.put("lanyard.audit.lease-hmac-key", "file:" + writeSecret(directory.resolve("lease-hmac.key"), randomKey(random)));
        config.put("lanyard.audit.signing-key", "file:" + writeSecret(directory.resolve("audit-signing.key"), randomKey(random)));
        Path checkpoints = directory.resolve("audit-checkpoints.jsonl");
        deleteRecursively(checkpoints); // the embedded database starts empty, so does its chain
        config.put("lanyard.audit.checkpoint-file", checkpoints.toAbsolutePath().toString());
        config.put("lanyard.audit.archive-directory", directory.resolve("audit-archive").toAbsolutePath().toString());
        // The rotation walk-through (docs/rotation.md) rotates logins of a database it creates on this PostgreSQL: an
        // operator-declared target, on loopback, so without TLS.
        config.put("lanyard.rotation.targets.payments.host", "127.0.0.1");
        config.put("lanyard.rotation.targets.payments.port", String.valueOf(database.port()));
        config.put("lanyard.rotation.targets.payments.database", "payments");
        config.put("lanyard.rotation.targets.payments.ssl-mode", "disable");
        config.put("lanyard.policy.demo.subjects", "token:demo");
        config.put("lanyard.policy.demo.rules[0].paths", "**");
        config.put("lanyard.policy.demo.rules[0].capabilities", "read,write,issue,renew,revoke,rotate");
        // The auditor API (reading, and signing a checkpoint now) and the token API, so every documented call can be tried.
        config.put("lanyard.policy.demo.rules[1].paths", "audit/**");
        config.put("lanyard.policy.demo.rules[1].capabilities", "audit:read,audit:admin");
        config.put("lanyard.policy.demo.rules[2].paths", "lanyard/tokens,lanyard/tokens/**");
        config.put("lanyard.policy.demo.rules[2].capabilities", "token:admin");

        Optional<Path> bao = OpenBaoDevServer.findBinary();
        OpenBaoDevServer openBao = null;
        String base = "http://127.0.0.1:" + port;
        Path tokenFile = directory.resolve("demo-token").toAbsolutePath();
        StringBuilder greeting = new StringBuilder("\nLanyard is ready at " + base + ". Your demo token is in " + tokenFile + "\n");
        if (bao.isPresent()) {
            openBao = OpenBaoDevServer.start(bao.get(), directory.resolve("openbao"));
            openBao.cli("kv", "put", "secret/demo/hello", "greeting=hello from OpenBao");
            openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), "demo", Duration.ofMinutes(15),
                    Duration.ofHours(1));
            config.put("lanyard.vault.openbao.address", openBao.address());
            config.put("lanyard.vault.openbao.auth.token", "file:" + writeSecret(directory.resolve("openbao-token"), openBao.rootToken()));
            greeting.append("Backend: OpenBao dev server at ").append(openBao.address()).append("\n\n")
                    .append("  curl -s -X POST -H \"Authorization: Bearer $(cat ").append(tokenFile)
                    .append(")\" ").append(base).append("/v1/creds/openbao/database/creds/demo\n")
                    .append("  curl -s -H \"Authorization: Bearer $(cat ").append(tokenFile)
                    .append(")\" ").append(base).append("/v1/secrets/openbao/secret/demo/hello\n");
        } else {
            Path store = directory.resolve("local-store");
            // A fresh key every run, so a fresh store too: values sealed under the old key could not be read.
            deleteRecursively(store);
            String key = writeSecret(directory.resolve("local-store.key"), LocalKey.generate()).toString();
            config.put("lanyard.local.local.store-dir", store.toString());
            config.put("lanyard.local.local.key", "file:" + key);
            LocalSeed.seed(store, "file:" + key);
            greeting.append("Backend: built-in local store (install OpenBao for dynamic credentials)\n\n")
                    .append("  curl -s -H \"Authorization: Bearer $(cat ").append(tokenFile)
                    .append(")\" ").append(base).append("/v1/secrets/local/demo/hello\n");
        }
        // The Vault-compatible API: the same secrets, to the clients teams already run (docs/vault-clients.md).
        config.put("lanyard.vault-api.enabled", "true");
        config.put("lanyard.vault-api.mounts.\"secret\".type", "kv-v2");
        if (openBao != null) {
            config.put("lanyard.vault-api.mounts.\"secret\".backend", "openbao");
            config.put("lanyard.vault-api.mounts.\"database\".backend", "openbao");
            config.put("lanyard.vault-api.mounts.\"database\".type", "database");
        } else {
            config.put("lanyard.vault-api.mounts.\"secret\".backend", "local");
            config.put("lanyard.vault-api.mounts.\"secret\".path", "");
        }
        greeting.append("\nVault clients, unchanged (docs/vault-clients.md):\n\n");
        if (bao.isPresent()) {
            greeting.append("  VAULT_ADDR=").append(base).append("/vault VAULT_TOKEN=$(cat ").append(tokenFile).append(") ")
                    .append(bao.get()).append(" kv get secret/demo/hello\n");
        } else {
            greeting.append("  curl -s -H \"X-Vault-Token: $(cat ").append(tokenFile).append(")\" ").append(base)
                    .append("/vault/v1/secret/data/demo/hello\n");
        }
        MotoServer moto = MotoServer.findBinary().map(binary -> MotoServer.start(binary, directory.resolve("moto"))).orElse(null);
        if (moto != null) {
            String roleArn = MotoSeed.seed(moto);
            config.put("lanyard.aws.aws.region", MotoServer.REGION);
            config.put("lanyard.aws.aws.endpoint-override", moto.endpoint().toString());
            config.put("lanyard.aws.aws.sts.endpoint-override", moto.endpoint().toString());
            config.put("lanyard.aws.aws.credentials.source", "static");
            // moto accepts any key; Lanyard still takes it by reference, as it would a real one.
            config.put("lanyard.aws.aws.credentials.access-key-id", "file:" + writeSecret(directory.resolve("aws-key-id"), "dev-stack"));
            config.put("lanyard.aws.aws.credentials.secret-access-key", "file:" + writeSecret(directory.resolve("aws-secret-key"), "dev-stack"));
            config.put("lanyard.aws.aws.sts.roles." + MotoSeed.ROLE + ".arn", roleArn);
            config.put("lanyard.vault-api.mounts.\"aws\".backend", "aws");
            config.put("lanyard.vault-api.mounts.\"aws\".type", "aws");
            greeting.append("Backend: moto (AWS Secrets Manager and STS) at ").append(moto.endpoint()).append("\n\n")
                    .append("  curl -s -H \"Authorization: Bearer $(cat ").append(tokenFile)
                    .append(")\" ").append(base).append("/v1/secrets/aws/").append(MotoSeed.SECRET).append("\n")
                    .append("  curl -s -X POST -H \"Authorization: Bearer $(cat ").append(tokenFile)
                    .append(")\" ").append(base).append("/v1/creds/aws/sts/").append(MotoSeed.ROLE).append("\n");
        }
        writeStackFile(directory, database, openBao, moto, port);
        return new DevStack(database, openBao, moto, config, greeting.toString(), directory);
    }

    /** Where everything runs, for scripts (benchmark, demos) that drive the stack from outside. */
    private static void writeStackFile(Path directory, EmbeddedDatabase database, OpenBaoDevServer openBao, MotoServer moto,
                                       int port) {
        Map<String, Object> stack = new LinkedHashMap<>();
        stack.put("lanyard_url", "http://127.0.0.1:" + port);
        stack.put("demo_token_file", directory.resolve("demo-token").toAbsolutePath().toString());
        stack.put("postgres_port", database.port());
        stack.put("postgres_database", EmbeddedDatabase.DATABASE);
        stack.put("postgres_superuser_password_file",
                writeSecret(directory.resolve("postgres-superuser-password"), database.superuserPassword()).toString());
        if (openBao != null) {
            stack.put("openbao_address", openBao.address());
            stack.put("openbao_token_file", directory.resolve("openbao-token").toAbsolutePath().toString());
        }
        if (moto != null) {
            stack.put("moto_endpoint", moto.endpoint().toString());
        }
        try {
            Files.writeString(directory.resolve("stack.json"), new ObjectMapper().writeValueAsString(stack));
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
        if (moto != null) {
            moto.close();
        }
        if (openBao != null) {
            openBao.close();
        }
        if (database != null) {
            database.close();
        }
    }
}
