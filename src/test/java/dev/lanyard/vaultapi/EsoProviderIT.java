package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The calls External Secrets Operator's Vault provider makes, made by a Go program on OpenBao's own API client
 * ({@code src/test/vault-clients/eso-check}, built by {@code scripts/vault-clients.sh}): Kubernetes login, the token
 * checks it makes on lookup-self ({@code type}, {@code ttl}, {@code expire_time}), KV v2 {@code data/} (latest and
 * by version) and {@code metadata/} reads, a 404 as "no secret", and revoke-self. One run; each check one assertion.
 */
@QuarkusTest
@RealPeers
@VaultSurface
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EsoProviderIT extends VaultClientTest {

    private String output;
    private Instant started;

    @BeforeAll
    void runTheCheck() throws Exception {
        VaultClients.rolesIn(openBao);
        write("eso/db", Map.of("password", "first"));
        write("eso/db", Map.of("password", "second"));
        int current = JSON.readTree(send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        vaultAddress() + "/v1/secret/data/vaultapi/eso/db")).header("X-Vault-Token", clients.token("vault-api"))).body())
                .path("data").path("metadata").path("version").asInt();
        Path jwt = Files.createTempFile("lanyard-eso-jwt-", "");
        Files.writeString(jwt, callers.serviceAccountToken(VaultClients.ESO_NAMESPACE, "external-secrets", "lanyard"));
        started = Instant.now().minusSeconds(1);
        ClientProcess.Result result = ClientProcess.run(List.of(ClientProcess.esoCheck().toString(), "-address", vaultAddress(),
                "-jwt-file", jwt.toString(), "-role", "eso", "-key", "vaultapi/eso/db", "-property", "password", "-want", "second",
                "-version", String.valueOf(current - 1), "-want-version", "first", "-missing", "vaultapi/eso/never-written"),
                Map.of("HOME", jwt.getParent().toString()), Duration.ofSeconds(90));
        Files.deleteIfExists(jwt);
        output = result.output();
        System.out.println("ESO check (exit " + result.exit() + "):\n" + output);
    }

    @ParameterizedTest
    @ValueSource(strings = {"kubernetes-login", "token-is-usable", "read-latest", "read-version", "read-metadata",
            "missing-is-no-secret", "revoke-self"})
    void everyCheckOfTheProviderPasses(String check) {
        assertThat(output).as(output).containsPattern("(?m)^PASS " + check + "$");
    }

    @org.junit.jupiter.api.Test
    void theProvidersCallsAreRecordedAsItsServiceAccount() {
        assertThat(rows("sa:" + VaultClients.ESO_NAMESPACE + "/external-secrets", "read", started))
                .isNotEmpty().allSatisfy(row -> assertThat(row).containsEntry("detail", "via vault-api"));
        assertThat(rows("sa:" + VaultClients.ESO_NAMESPACE + "/external-secrets", "token.login", started)).hasSize(1);
    }
}
