package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * hvac 2.4.0, unchanged, pointed at Lanyard with {@code VAULT_ADDR} and {@code VAULT_TOKEN}: each test is one call a
 * Python service makes ({@code src/test/vault-clients/hvac_client.py}), run as its own process.
 */
@QuarkusTest
@RealPeers
@VaultSurface
class HvacIT extends VaultClientTest {

    private static final Path CLIENT = Path.of("src/test/vault-clients/hvac_client.py");

    private JsonNode hvac(String token, String... call) {
        List<String> command = new ArrayList<>(List.of(ClientProcess.python().toString(), CLIENT.toAbsolutePath().toString()));
        command.addAll(List.of(call));
        ClientProcess.Result result = ClientProcess.run(command, Map.of("VAULT_ADDR", vaultAddress(), "VAULT_TOKEN", token),
                Duration.ofSeconds(60));
        assertThat(result.exit()).as(result.output()).isZero();
        try {
            String output = result.output().strip();
            return JSON.readTree(output.substring(output.lastIndexOf('\n') + 1));
        } catch (IOException e) {
            throw new AssertionError("hvac printed no JSON: " + result.output(), e);
        }
    }

    private String token() {
        return clients.token("vault-hvac");
    }

    @Test
    void readSecretVersionEqualsTheValueWrittenThroughLanyard() {
        write("hvac/db", Map.of("password", "written-through-lanyard", "user", "app"));
        JsonNode read = hvac(token(), "read", "secret", "vaultapi/hvac/db");
        assertThat(read.path("value").path("data").path("password").asText()).isEqualTo("written-through-lanyard");
        assertThat(read.path("value").path("version").asInt()).isPositive();
    }

    @Test
    void aMissingPathIsInvalidPath() {
        assertThat(hvac(token(), "read", "secret", "vaultapi/hvac/never-written").path("error").asText()).isEqualTo("InvalidPath");
    }

    @Test
    void aPathThePolicyDoesNotGrantIsForbidden() {
        assertThat(hvac(token(), "read", "secret", "payments/config").path("error").asText()).isEqualTo("Forbidden");
    }

    @Test
    void aPathWithAtAndEqualsSignsWorks() {
        write("hvac/app@prod=blue", Map.of("colour", "blue"));
        assertThat(hvac(token(), "read", "secret", "vaultapi/hvac/app@prod=blue").path("value").path("data").path("colour")
                .asText()).isEqualTo("blue");
    }

    @Test
    void generatedDatabaseCredentialsLogInAndAreRenewedAndRevoked() {
        JsonNode creds = hvac(token(), "creds", "database", VaultClients.ROLE).path("value");
        String leaseId = creds.path("lease_id").asText();
        assertThat(leaseId).isNotEmpty();
        assertThat(logsIn(creds.path("username").asText(), creds.path("password").asText())).as("the issued login works").isTrue();

        JsonNode renewed = hvac(token(), "renew", leaseId, "300").path("value");
        assertThat(renewed.path("lease_id").asText()).isEqualTo(leaseId);
        assertThat(renewed.path("lease_duration").asLong()).isBetween(1L, 300L);

        assertThat(hvac(token(), "revoke", leaseId).path("value").path("status").asInt()).isEqualTo(204);
        assertThat(logsIn(creds.path("username").asText(), creds.path("password").asText())).as("after revocation").isFalse();
    }

    @Test
    void isAuthenticatedIsTrueForALiveTokenAndFalseForARevokedOne() {
        assertThat(hvac(token(), "authenticated").path("value").asBoolean()).isTrue();
        String jwt = callers.serviceAccountToken(VaultClients.ESO_NAMESPACE, "hvac-revoked", "lanyard");
        String login = login(jwt, "hvac");
        assertThat(hvac(login, "authenticated").path("value").asBoolean()).isTrue();
        revokeSelf(login);
        assertThat(hvac(login, "authenticated").path("value").asBoolean()).isFalse();
    }
}
