package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.broker.Grant;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.spi.VersionInfo;
import dev.lanyard.vaultapi.VaultApiConfig.Type;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Byte for byte what OpenBao 2.7.2 answers, given the same secret (its answers were captured from a dev server). */
class VaultRepliesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant CREATED = Instant.parse("2026-12-07T23:55:03.615410124Z");

    private static String text(Object node) throws Exception {
        return JSON.writeValueAsString(node);
    }

    @Test
    void aKvV2ReadIsOpenBaosEnvelopeWithSortedFieldsAndTheVersionsMetadata() throws Exception {
        Secret secret = new Secret(SecretRef.of("openbao", "secret/myapp/db"),
                SecretValue.ofStrings(Map.of("user", "app", "password", "s3cret2")), Optional.of("2"),
                Lease.ofStaticValue(CREATED), Optional.of(CREATED));
        Grant grant = new Grant(secret, CREATED.plusSeconds(60), CREATED.plusSeconds(40));
        assertThat(text(VaultReplies.kvData("94d30cb2-4f01-4904-8e8d-2a6d089a08c1", grant))).isEqualTo(
                "{\"request_id\":\"94d30cb2-4f01-4904-8e8d-2a6d089a08c1\",\"lease_id\":\"\",\"renewable\":false,"
                        + "\"lease_duration\":0,\"data\":{\"data\":{\"password\":\"s3cret2\",\"user\":\"app\"},"
                        + "\"metadata\":{\"created_time\":\"2026-12-07T23:55:03.615410124Z\",\"custom_metadata\":null,"
                        + "\"deletion_time\":\"\",\"destroyed\":false,\"version\":2}},\"wrap_info\":null,\"warnings\":null,"
                        + "\"auth\":null}");
    }

    @Test
    void aMissIsAnEmptyErrorListAndADenialSaysPermissionDenied() throws Exception {
        assertThat(text(VaultReplies.errors(List.of()))).isEqualTo("{\"errors\":[]}");
        assertThat(text(VaultReplies.errors(List.of(VaultReplies.PERMISSION_DENIED)))).isEqualTo("{\"errors\":[\"permission denied\"]}");
    }

    @Test
    void aCredentialCarriesItsLeaseAndTheTimeItHasLeftAndAwsFieldsAreTheAwsEnginesNames() throws Exception {
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        Secret login = new Secret(SecretRef.of("openbao", "database/creds/app"),
                SecretValue.ofStrings(Map.of("username", "v-app", "password", "pw")), Optional.empty(),
                Lease.leased("database/creds/app/abc", now.minusSeconds(100), Duration.ofMinutes(10), true));
        String database = text(VaultReplies.credential("r", new Grant(login, now.plusSeconds(500), now.plusSeconds(300)),
                Type.DATABASE, now));
        assertThat(database).isEqualTo("{\"request_id\":\"r\",\"lease_id\":\"database/creds/app/abc\",\"renewable\":true,"
                + "\"lease_duration\":500,\"data\":{\"password\":\"pw\",\"username\":\"v-app\"},\"wrap_info\":null,"
                + "\"warnings\":null,\"auth\":null}");
        Secret sts = new Secret(SecretRef.of("aws", "sts/deployer"), SecretValue.ofStrings(Map.of("access_key_id", "AKIA",
                "secret_access_key", "sk", "session_token", "st")), Optional.empty(), Lease.expiring(now, Duration.ofMinutes(15)));
        String aws = text(VaultReplies.credential("r", new Grant(sts, now.plusSeconds(900), now.plusSeconds(600)), Type.AWS, now));
        assertThat(aws).isEqualTo("{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,\"lease_duration\":900,"
                + "\"data\":{\"access_key\":\"AKIA\",\"secret_key\":\"sk\",\"security_token\":\"st\",\"session_token\":\"st\"},"
                + "\"wrap_info\":null,\"warnings\":null,\"auth\":null}");
    }

    @Test
    void metadataListsVersionsInNumericOrderAndNamesTheCurrentOne() throws Exception {
        List<VersionInfo> versions = List.of(
                new VersionInfo("9", Optional.of(CREATED), Set.of()),
                new VersionInfo("10", Optional.of(CREATED.plusSeconds(1)), Set.of(Stage.CURRENT)));
        String body = text(VaultReplies.kvMetadata("r", versions));
        assertThat(body).contains("\"current_version\":10").contains("\"versions\":{\"9\":{").contains("},\"10\":{")
                .contains("\"created_time\":\"2026-12-07T23:55:03.615410124Z\"")
                .contains("\"updated_time\":\"2026-12-07T23:55:04.615410124Z\"");
    }
}
