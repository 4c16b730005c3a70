package dev.lanyard.vaultapi;

import dev.lanyard.auth.ApiTokens;
import dev.lanyard.it.InjectPeer;
import dev.lanyard.it.VaultPeer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Vault clients' side of the shared peers: the Vault-compatible API switched on with a KV v2 mount and a database
 * mount over the tests' OpenBao, one API token per client (so no client's cached credential or revocation meets
 * another's), the policies that bind them and the ServiceAccounts of the Agent and the ESO check, and the database
 * roles they issue from. Injected into {@code @InjectPeer VaultClients} fields by {@link Resource}.
 */
public final class VaultClients {

    /** Where the clients' secrets live in OpenBao, and in Lanyard's policies ({@code openbao/secret/vaultapi/**}). */
    static final String KV = "secret/vaultapi";
    /** A database role with the tests' usual ten-minute leases. */
    static final String ROLE = "vault-app";
    /** A database role with leases short enough that the Agent and Spring renew them within a test. */
    static final String SHORT_ROLE = "vault-short";
    /** The namespaces whose ServiceAccounts the policies bind. */
    static final String AGENT_NAMESPACE = "vault-agent";
    static final String ESO_NAMESPACE = "vault-eso";
    static final String[] CALLERS = {"vault-api", "vault-other", "vault-bao", "vault-hvac", "vault-java", "vault-spring",
            "vault-writer", "vault-capped", "vault-bench", "vault-narrow"};

    private static final AtomicBoolean ROLES_MADE = new AtomicBoolean();

    private final Map<String, String> tokens;

    private VaultClients(Map<String, String> tokens) {
        this.tokens = tokens;
    }

    /** The API token of one of {@link #CALLERS}. */
    String token(String caller) {
        return tokens.get(caller);
    }

    /** Creates the database roles the clients issue from, once per run (writing a role again changes nothing). */
    static void rolesIn(VaultPeer openBao) {
        if (ROLES_MADE.compareAndSet(false, true)) {
            openBao.createDatabaseRole(ROLE, Duration.ofMinutes(10), Duration.ofHours(1));
            openBao.createDatabaseRole(SHORT_ROLE, Duration.ofSeconds(20), Duration.ofMinutes(10));
        }
    }

    /** The test resource: tokens and policies for the clients, and the API's mounts. */
    public static class Resource implements QuarkusTestResourceLifecycleManager {

        private VaultClients clients;

        @Override
        public Map<String, String> start() {
            Path work;
            try {
                work = Files.createTempDirectory("lanyard-it-vault-clients-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, String> config = new HashMap<>();
            Map<String, String> tokens = new HashMap<>();
            for (String caller : CALLERS) {
                String token = ApiTokens.generate(new SecureRandom());
                tokens.put(caller, token);
                config.put("lanyard.auth.bootstrap-tokens." + caller, "file:" + write(work.resolve("token-" + caller), token));
            }
            clients = new VaultClients(tokens);
            config.put("lanyard.vault-api.enabled", "true");
            config.put("lanyard.vault-api.mounts.\"secret\".backend", "openbao");
            config.put("lanyard.vault-api.mounts.\"secret\".type", "kv-v2");
            config.put("lanyard.vault-api.mounts.\"database\".backend", "openbao");
            config.put("lanyard.vault-api.mounts.\"database\".type", "database");
            config.put("lanyard.policy.vault-clients.subjects", "token:vault-api,token:vault-other,token:vault-bao,"
                    + "token:vault-hvac,token:vault-java,token:vault-spring,token:vault-bench,sa:" + AGENT_NAMESPACE + "/*,sa:"
                    + ESO_NAMESPACE + "/*");
            config.put("lanyard.policy.vault-clients.rules[0].paths", "openbao/" + KV + "/**");
            config.put("lanyard.policy.vault-clients.rules[0].capabilities", "read");
            config.put("lanyard.policy.vault-clients.rules[1].paths", "openbao/database/creds/vault-*");
            config.put("lanyard.policy.vault-clients.rules[1].capabilities", "issue,renew,revoke");
            config.put("lanyard.policy.vault-writer.subjects", "token:vault-writer");
            config.put("lanyard.policy.vault-writer.rules[0].paths", "openbao/" + KV + "/**");
            config.put("lanyard.policy.vault-writer.rules[0].capabilities", "read,write");
            // Narrower than the mounts it uses: one subtree of the KV mount, and issuing (not renewing) from one role.
            config.put("lanyard.policy.vault-narrow.subjects", "token:vault-narrow");
            config.put("lanyard.policy.vault-narrow.rules[0].paths", "openbao/" + KV + "/narrow/**");
            config.put("lanyard.policy.vault-narrow.rules[0].capabilities", "read");
            config.put("lanyard.policy.vault-narrow.rules[1].paths", "openbao/database/creds/" + ROLE);
            config.put("lanyard.policy.vault-narrow.rules[1].capabilities", "issue");
            config.put("lanyard.policy.vault-capped.subjects", "token:vault-capped");
            config.put("lanyard.policy.vault-capped.rules[0].paths", "openbao/database/creds/*");
            config.put("lanyard.policy.vault-capped.rules[0].capabilities", "issue");
            return config;
        }

        private static String write(Path file, String value) {
            try {
                return Files.writeString(file, value).toAbsolutePath().toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void inject(TestInjector injector) {
            injector.injectIntoFields(clients, field -> field.isAnnotationPresent(InjectPeer.class)
                    && field.getType().equals(VaultClients.class));
        }

        @Override
        public void stop() {
            // files only, in a temporary directory
        }
    }
}
