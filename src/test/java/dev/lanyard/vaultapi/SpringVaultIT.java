package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.it.RealPeers;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.vault.authentication.TokenAuthentication;
import org.springframework.vault.client.VaultEndpoint;
import org.springframework.vault.core.VaultKeyValueOperations;
import org.springframework.vault.core.VaultTemplate;
import org.springframework.vault.core.lease.SecretLeaseContainer;
import org.springframework.vault.core.lease.domain.RequestedSecret;
import org.springframework.vault.core.lease.event.AfterSecretLeaseRenewedEvent;
import org.springframework.vault.core.lease.event.SecretLeaseCreatedEvent;
import org.springframework.vault.core.lease.event.SecretLeaseEvent;
import org.springframework.vault.support.VaultResponse;

/**
 * Spring Vault ({@code spring-vault-core}, without Spring Boot), unchanged: {@code VaultEndpoint} takes the API's path
 * ({@code …/vault/v1}); {@code opsForKeyValue} asks {@code sys/internal/ui/mounts} which engine a mount is; a
 * {@code SecretLeaseContainer} issues database credentials and renews them as a Spring service does.
 */
@QuarkusTest
@RealPeers
@VaultSurface
class SpringVaultIT extends VaultClientTest {

    private VaultTemplate template() {
        VaultEndpoint endpoint = VaultEndpoint.from(URI.create(vaultAddress() + "/v1"));
        return new VaultTemplate(endpoint, new TokenAuthentication(clients.token("vault-spring")));
    }

    @Test
    void opsForKeyValueFindsTheKvV2MountThroughItsPreflightAndReads() {
        write("spring/db", Map.of("password", "from-spring", "user", "app"));
        VaultTemplate template = template();
        VaultKeyValueOperations kv = template.opsForKeyValue("secret");
        VaultResponse response = kv.get("vaultapi/spring/db");
        assertThat(response).isNotNull();
        assertThat(response.getRequiredData()).containsEntry("password", "from-spring");
    }

    @Test
    void aSecretLeaseContainerGetsDatabaseCredentialsAndRenewsThemWithoutAnError() throws Exception {
        List<SecretLeaseEvent> events = new CopyOnWriteArrayList<>();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        SecretLeaseContainer container = new SecretLeaseContainer(template());
        // Renew about two seconds into a ten-minute lease, so the test sees a renewal.
        container.setMinRenewal(Duration.ofSeconds(1));
        container.setExpiryThreshold(Duration.ofSeconds(598));
        container.addLeaseListener(events::add);
        container.addErrorListener((event, error) -> errors.add(error));
        Instant before = Instant.now().minusSeconds(1);
        container.afterPropertiesSet();
        RequestedSecret requested = container.requestRenewableSecret("database/creds/" + VaultClients.ROLE);
        container.start();
        try {
            List<SecretLeaseEvent> seen = eventually(Duration.ofSeconds(30), () -> List.copyOf(events),
                    list -> list.stream().anyMatch(AfterSecretLeaseRenewedEvent.class::isInstance));
            assertThat(seen).as("events").hasAtLeastOneElementOfType(SecretLeaseCreatedEvent.class)
                    .hasAtLeastOneElementOfType(AfterSecretLeaseRenewedEvent.class);
            SecretLeaseCreatedEvent created = (SecretLeaseCreatedEvent) seen.stream()
                    .filter(SecretLeaseCreatedEvent.class::isInstance).findFirst().orElseThrow();
            assertThat(created.getSource()).isEqualTo(requested);
            assertThat(logsIn((String) created.getSecrets().get("username"), (String) created.getSecrets().get("password"))).isTrue();
            assertThat(errors).as("errors").isEmpty();
            assertThat(rows("token:vault-spring", "renew", before)).as("renewals, recorded as the caller")
                    .isNotEmpty().allSatisfy(row -> assertThat(row).containsEntry("outcome", "success")
                            .containsEntry("detail", "via vault-api"));
        } finally {
            container.destroy();
        }
        assertThat(errors).as("errors, revocation on shutdown included").isEmpty();
    }
}
