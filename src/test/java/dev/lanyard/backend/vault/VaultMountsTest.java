package dev.lanyard.backend.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.secret.SecretPath;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VaultMountsTest {

    private final VaultMounts mounts = new VaultMounts(List.of("secret"), List.of("kv1"), List.of("pki"), List.of("database"));

    @ParameterizedTest
    @ValueSource(strings = {
            "auth/token/lookup-self", "sys/mounts", "sys/raw/core", "cubbyhole/anything", "identity/entity/id",
            "token/lookup-self", "database/creds/app", "database/static-creds/app", "database/config/lanyard",
            "aws/sts/deployer", "aws/creds/deployer", "transit/export/encryption-key/k", "unknown/thing"})
    void readsOutsideDeclaredSecretsMountsAreRefused(String path) {
        assertThat(mounts.read(SecretPath.of(path))).isEqualTo(VaultMounts.Read.REFUSED);
    }

    @Test
    void readsGoOnlyToDeclaredMountsAndNeverToAMountItself() {
        assertThat(mounts.read(SecretPath.of("secret/payments/db"))).isEqualTo(VaultMounts.Read.KV_V2);
        assertThat(mounts.read(SecretPath.of("kv1/team/key"))).isEqualTo(VaultMounts.Read.KV_V1);
        assertThat(mounts.read(SecretPath.of("pki/ca/pem"))).isEqualTo(VaultMounts.Read.READ_ONLY);
        assertThat(mounts.read(SecretPath.of("secret"))).isEqualTo(VaultMounts.Read.REFUSED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"database/creds/app/extra", "database/static-creds/app", "secret/creds/app", "sys/creds/x",
            "auth/creds/x", "database/creds", "aws/creds/deployer"})
    void issuingNeedsADynamicMountsCredsRole(String path) {
        assertThat(mounts.issuable(SecretPath.of(path))).isFalse();
    }

    @Test
    void aDynamicMountsCredsRoleIsIssuable() {
        assertThat(mounts.issuable(SecretPath.of("database/creds/app"))).isTrue();
    }

    @Test
    void reservedOrDuplicatedMountsAreConfigurationErrors() {
        assertThat(problems(List.of("secret", "sys"), List.of(), List.of("auth"), List.of("secret")))
                .anySatisfy(p -> assertThat(p).contains("'sys' is Vault's own API"))
                .anySatisfy(p -> assertThat(p).contains("'auth' is Vault's own API"))
                .anySatisfy(p -> assertThat(p).contains("mount 'secret' is listed in both kv-v2-mounts and dynamic-mounts"));
        assertThat(problems(List.of("a/b"), List.of(), List.of(), List.of())).singleElement()
                .satisfies(p -> assertThat(p).contains("one path segment"));
        assertThat(problems(List.of("secret"), List.of("kv"), List.of("pki"), List.of("database"))).isEmpty();
    }

    private static List<String> problems(List<String> kvV2, List<String> kvV1, List<String> readOnly, List<String> dynamic) {
        return VaultMounts.problems(kvV2, kvV1, readOnly, dynamic);
    }
}
