package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * OpenBao Agent ({@code bao agent}, the same binary as the CLI), unchanged, configured as a sidecar is: auto-auth
 * through the Kubernetes login with the pod's ServiceAccount token file, a token sink, and templates that render a KV v2
 * secret and a database credential to files. A write through Lanyard re-renders the first; the Agent renews the
 * second's lease, which the audit log shows as the Agent's own identity.
 */
@QuarkusTest
@RealPeers
@VaultSurface
class BaoAgentIT extends VaultClientTest {

    private static final String AGENT = "sa:" + VaultClients.AGENT_NAMESPACE + "/agent";

    @Test
    void theAgentLogsInRendersBothTemplatesReRendersAWriteAndRenewsTheDatabaseLease() throws Exception {
        write("agent/db", Map.of("password", "first-render"));
        Path work = Files.createTempDirectory("lanyard-bao-agent-");
        Files.writeString(work.resolve("jwt"), callers.serviceAccountToken(VaultClients.AGENT_NAMESPACE, "agent", "lanyard"));
        Path config = Files.writeString(work.resolve("agent.hcl"), agentConfig(work));
        Instant started = Instant.now().minusSeconds(1);
        ProcessBuilder builder = new ProcessBuilder(ClientProcess.bao().toString(), "agent", "-config=" + config, "-log-level=debug")
                .redirectErrorStream(true).redirectOutput(work.resolve("agent.log").toFile()).directory(work.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("VAULT_") || name.startsWith("BAO_"));
        builder.environment().put("HOME", work.toString());
        Process agent = builder.start();
        try {
            String kv = eventually(Duration.ofSeconds(60), () -> read(work.resolve("kv.txt")), "first-render"::equals);
            assertThat(kv).as("the KV template; agent log:\n" + log(work)).isEqualTo("first-render");
            String db = eventually(Duration.ofSeconds(60), () -> read(work.resolve("db.txt")), text -> text.contains(":"));
            assertThat(db).as("the database template; agent log:\n" + log(work)).contains(":");
            System.out.println("BaoAgentIT: both templates rendered " + java.time.Duration.between(started, Instant.now()) + " after start");
            String[] login = db.split(":", 2);
            assertThat(logsIn(login[0], login[1])).as("the rendered credential logs in").isTrue();
            assertThat(read(work.resolve("token"))).as("the sink holds a Lanyard login token").startsWith("lyl_");
            assertThat(rows(AGENT, "token.login", started)).as("the Agent's login, as itself").isNotEmpty();

            write("agent/db", Map.of("password", "second-render"));
            assertThat(eventually(Duration.ofSeconds(30), () -> read(work.resolve("kv.txt")), "second-render"::equals))
                    .as("re-rendered after a write through Lanyard; agent log:\n" + log(work)).isEqualTo("second-render");

            System.out.println("BaoAgentIT: re-rendered " + java.time.Duration.between(started, Instant.now()) + " after start");
            List<Map<String, Object>> renewals = eventually(Duration.ofSeconds(60), () -> rows(AGENT, "renew", started),
                    found -> !found.isEmpty());
            assertThat(renewals).as("the Agent renewed the database lease; agent log:\n" + log(work)).isNotEmpty()
                    .allSatisfy(row -> assertThat(row).containsEntry("outcome", "success").containsEntry("detail", "via vault-api")
                            .containsEntry("path", "database/creds/" + VaultClients.SHORT_ROLE));
            System.out.println("BaoAgentIT: lease renewed " + java.time.Duration.between(started, Instant.now()) + " after start");
        } finally {
            agent.destroy();
            if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
    }

    private String agentConfig(Path work) {
        return """
                pid_file = "%1$s/pid"
                vault {
                  address = "%2$s"
                }
                auto_auth {
                  method "kubernetes" {
                    mount_path = "auth/kubernetes"
                    config = {
                      role       = "agent"
                      token_path = "%1$s/jwt"
                    }
                  }
                  sink "file" {
                    config = {
                      path = "%1$s/token"
                    }
                  }
                }
                template_config {
                  static_secret_render_interval = "2s"
                }
                template {
                  contents    = "{{ with secret \\"secret/data/vaultapi/agent/db\\" }}{{ .Data.data.password }}{{ end }}"
                  destination = "%1$s/kv.txt"
                }
                template {
                  contents    = "{{ with secret \\"database/creds/%3$s\\" }}{{ .Data.username }}:{{ .Data.password }}{{ end }}"
                  destination = "%1$s/db.txt"
                }
                """.formatted(work, vaultAddress(), VaultClients.SHORT_ROLE);
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).strip() : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String log(Path work) {
        String log = read(work.resolve("agent.log"));
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }
}
