package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.it.RealPeers;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.DatabaseResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Vault Java driver ({@code io.github.jopenlibs:vault-java-driver}, the one Lanyard itself uses to reach OpenBao),
 * unchanged, pointed at {@code /vault}: it compares {@code Content-Type} to {@code application/json} exactly on
 * {@code lookupSelf}, and fails a revocation that is not answered 204.
 */
@QuarkusTest
@RealPeers
@VaultSurface
class VaultJavaDriverIT extends VaultClientTest {

    private VaultConfig config() throws VaultException {
        return new VaultConfig().address(vaultAddress()).token(clients.token("vault-java")).openTimeout(10).readTimeout(30).build();
    }

    @Test
    void aLogicalReadOnKvV2WithTheDefaultEngineVersionReturnsTheSecret() throws VaultException {
        write("java/db", Map.of("password", "from-the-driver", "user", "app"));
        var response = Vault.create(config()).logical().read("secret/vaultapi/java/db");
        assertThat(response.getRestResponse().getStatus()).isEqualTo(200);
        assertThat(response.getData()).containsEntry("password", "from-the-driver").containsEntry("user", "app");
    }

    @Test
    void leasesAreRenewedWithTheIdInTheUrlAndRevokedWith204() throws VaultException {
        Vault vault = Vault.create(config());
        DatabaseResponse creds = vault.database("database").creds(VaultClients.ROLE);
        String leaseId = creds.getLeaseId();
        assertThat(leaseId).startsWith("database/creds/" + VaultClients.ROLE + "/");
        assertThat(logsIn(creds.getCredential().getUsername(), creds.getCredential().getPassword())).isTrue();

        assertThat(vault.leases().renew(leaseId, 300).getRestResponse().getStatus()).isEqualTo(200);
        // The driver throws unless revoke is answered 204.
        assertThat(vault.leases().revoke(leaseId).getRestResponse().getStatus()).isEqualTo(204);
        assertThat(logsIn(creds.getCredential().getUsername(), creds.getCredential().getPassword())).isFalse();
    }

    @Test
    void lookupSelfDescribesTheCallersOwnToken() throws VaultException {
        LookupResponse self = Vault.create(config()).auth().lookupSelf();
        assertThat(self.getDisplayName()).isEqualTo("token-vault-java");
        assertThat(self.getId()).isEqualTo(clients.token("vault-java"));
        assertThat(self.getPolicies()).contains("vault-clients");
        assertThat(self.getRestResponse().getMimeType()).isEqualTo("application/json");
    }

    @Test
    void engineVersionsAreDetectedThroughSysMountsWithANonAdminToken() throws VaultException {
        Vault vault = Vault.create(config(), true, 1);
        assertThat(vault.getSecretEngineVersions()).containsEntry("secret/", "2").containsEntry("database/", "unknown");
    }
}
