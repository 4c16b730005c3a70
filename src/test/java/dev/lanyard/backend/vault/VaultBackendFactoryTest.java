package dev.lanyard.backend.vault;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up checks of a Vault backend's issuing settings, made without contacting Vault. */
class VaultBackendFactoryTest {

    private static final String ADDRESS = "https://vault.internal:8200";

    @TempDir
    Path work;

    @Test
    void appRoleAndKubernetesLoginsAreRefusedWithoutATokenRoleToIssueUnder() throws IOException {
        TestVaultConfig.Auth appRole = appRole();
        TestVaultConfig.Auth kubernetes = new TestVaultConfig.Auth(VaultBackendConfig.Method.KUBERNETES).role("lanyard")
                .jwt("file:" + secret("jwt"));

        for (TestVaultConfig.Auth auth : List.of(appRole, kubernetes)) {
            assertThat(problems(auth, TestVaultConfig.Issuing.underLoginToken())).singleElement().asString()
                    .startsWith("issuing.token-role is required with auth.method=" + auth.method().name().toLowerCase())
                    .contains("Vault revokes every credential issued under the old token").contains("docs/backends-vault.md");
            assertThat(problems(auth, TestVaultConfig.Issuing.through("lanyard-issuing"))).isEmpty();
        }
    }

    @Test
    void aStaticTokenMayIssueUnderItself() throws IOException {
        TestVaultConfig.Auth token = new TestVaultConfig.Auth(VaultBackendConfig.Method.TOKEN).token(secret("token"));
        assertThat(problems(token, TestVaultConfig.Issuing.underLoginToken())).isEmpty();
    }

    @Test
    void issuingSettingsAreChecked() throws IOException {
        assertThat(problems(appRole(), new TestVaultConfig.Issuing(Optional.of("auth/token/roles/x"), Duration.ofSeconds(30), Duration.ZERO)))
                .containsExactly("issuing.token-role must be a token role name of [A-Za-z0-9_.-]",
                        "issuing.credential-max-ttl must be at least 1m", "issuing.rotate-after must be at least 1s");
    }

    private TestVaultConfig.Auth appRole() throws IOException {
        return new TestVaultConfig.Auth(VaultBackendConfig.Method.APPROLE).roleId("role").secretId("file:" + secret("secret-id"));
    }

    private Path secret(String name) throws IOException {
        return Files.writeString(work.resolve(name), "not-a-real-" + name);
    }

    private static List<String> problems(TestVaultConfig.Auth auth, TestVaultConfig.Issuing issuing) {
        TestVaultConfig.Instance instance = new TestVaultConfig.Instance(ADDRESS, auth, issuing);
        return new VaultBackendFactory(() -> Map.of("vault", instance), InstantSource.system()).validate("vault");
    }
}
