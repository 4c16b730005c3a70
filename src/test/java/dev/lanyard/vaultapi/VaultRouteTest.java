package dev.lanyard.vaultapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.vaultapi.VaultApiConfig.Type;
import dev.lanyard.vaultapi.VaultRoute.Op;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which operation a Vault path is, and which mount and backend path it stands for; everything else is unserved. */
class VaultRouteTest {

    private static final MountTable MOUNTS = MountTable.of(Map.of(
            "secret", mount("openbao", Type.KV_V2, null),
            "team/kv", mount("openbao", Type.KV_V2, "secret/team"),
            "local", mount("local", Type.KV_V2, ""),
            "database", mount("openbao", Type.DATABASE, null),
            "aws", mount("aws", Type.AWS, null)), Set.of("openbao", "local", "aws")::contains);

    private static VaultApiConfig.Mount mount(String backend, Type type, String path) {
        return new VaultApiConfig.Mount() {
            @Override
            public String backend() {
                return backend;
            }

            @Override
            public Type type() {
                return type;
            }

            @Override
            public Optional<String> path() {
                return Optional.ofNullable(path);
            }
        };
    }

    @Test
    void kvV2DataAndMetadataStandForTheSecretInTheBackend() {
        VaultRoute data = VaultRoute.of("secret/data/myapp/db", MOUNTS);
        assertThat(data.op()).isEqualTo(Op.KV_DATA);
        assertThat(data.match().mount().secret(data.argument()).toString()).isEqualTo("openbao/secret/myapp/db");
        VaultRoute metadata = VaultRoute.of("secret/metadata/myapp/db", MOUNTS);
        assertThat(metadata.op()).isEqualTo(Op.KV_METADATA);
        assertThat(metadata.match().mount().secret(metadata.argument()).toString()).isEqualTo("openbao/secret/myapp/db");
    }

    @Test
    void theLongestMountWinsAndAMountMayPointAnywhereInItsBackend() {
        VaultRoute team = VaultRoute.of("team/kv/data/app", MOUNTS);
        assertThat(team.match().mount().name()).isEqualTo("team/kv");
        assertThat(team.match().mount().secret(team.argument()).toString()).isEqualTo("openbao/secret/team/app");
        VaultRoute whole = VaultRoute.of("local/data/demo/hello", MOUNTS);
        assertThat(whole.match().mount().secret(whole.argument()).toString()).isEqualTo("local/demo/hello");
    }

    @Test
    void credentialsComeFromTheRolePathOfTheirKind() {
        VaultRoute database = VaultRoute.of("database/creds/app", MOUNTS);
        assertThat(database.op()).isEqualTo(Op.CREDS);
        assertThat(database.match().mount().role(database.argument()).toString()).isEqualTo("openbao/database/creds/app");
        VaultRoute aws = VaultRoute.of("aws/creds/deployer", MOUNTS);
        assertThat(aws.match().mount().role(aws.argument()).toString()).isEqualTo("aws/sts/deployer");
        assertThat(VaultRoute.of("aws/sts/deployer", MOUNTS).op()).isEqualTo(Op.CREDS);
    }

    @Test
    void leaseIdsMayComeInTheUrlSlashesAndAll() {
        VaultRoute renew = VaultRoute.of("sys/leases/renew/database/creds/app/AbC123", MOUNTS);
        assertThat(renew.op()).isEqualTo(Op.LEASE_RENEW);
        assertThat(renew.argument()).isEqualTo("database/creds/app/AbC123");
        assertThat(renew.template()).isEqualTo("sys/leases/renew/{lease_id}");
        assertThat(VaultRoute.of("sys/leases/revoke/database/creds/app/x", MOUNTS).op()).isEqualTo(Op.LEASE_REVOKE);
        assertThat(VaultRoute.of("sys/leases/revoke", MOUNTS).argument()).isNull();
        assertThat(VaultRoute.of("sys/renew/x/y", MOUNTS).op()).isEqualTo(Op.LEASE_RENEW);
    }

    @Test
    void loginsAreAnyAuthMountButTheTokenStore() {
        VaultRoute login = VaultRoute.of("auth/kubernetes/login", MOUNTS);
        assertThat(login.op()).isEqualTo(Op.LOGIN);
        assertThat(login.argument()).isEqualTo("kubernetes");
        assertThat(VaultRoute.of("auth/k8s/prod/login", MOUNTS).argument()).isEqualTo("k8s/prod");
        assertThat(VaultRoute.of("auth/token/login", MOUNTS).op()).isEqualTo(Op.UNSERVED);
        assertThat(login.op().needsToken()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sys/raw/core/master", "sys/policy", "sys/audit", "sys/leases/lookup/database/creds",
            "sys/leases/revoke-prefix/database", "sys/leases/revoke-force/database", "auth/token/create",
            "auth/token/lookup", "auth/token/lookup-accessor", "auth/token/roles/x", "identity/entity", "cubbyhole/x",
            "secret/config", "secret/data", "secret/delete/x", "secret/subkeys/x", "database/config/x",
            "database/roles/app", "database/creds/a/b", "database/static-creds/app", "aws/config/root", "nosuch/data/x",
            "", "sys/internal/ui/mounts", "sys/internal/counters/activity", "secret"})
    void everythingElseIsUnservedAndReachesNoBackend(String path) {
        VaultRoute route = VaultRoute.of(path, MOUNTS);
        assertThat(route.op()).as(path).isEqualTo(Op.UNSERVED);
        assertThat(route.metricLabel()).isEqualTo("/vault/v1/{unserved}");
    }

    @Test
    void methodsAreVaultsForEachOperationAndListIsNotServed() {
        assertThat(Op.KV_DATA.answers(VaultRoute.GET)).isTrue();
        assertThat(Op.KV_DATA.answers(VaultRoute.LIST)).isFalse();
        assertThat(Op.KV_METADATA.answers(VaultRoute.LIST)).isFalse();
        assertThat(Op.CREDS.answers(VaultRoute.PUT)).isTrue();
        assertThat(Op.LEASE_REVOKE.answers(VaultRoute.POST)).isTrue();
        assertThat(Op.LEASE_REVOKE.answers(VaultRoute.GET)).isFalse();
        assertThat(Op.HEALTH.answers(VaultRoute.HEAD)).isTrue();
    }

    @Test
    void mountsThatAreVaultsOwnAPIOrNameNoBackendFailStartUpTogether() {
        Map<String, VaultApiConfig.Mount> bad = new LinkedHashMap<>();
        bad.put("sys", mount("openbao", Type.KV_V2, null));
        bad.put("kv", mount("nowhere", Type.KV_V2, null));
        bad.put("db", mount("openbao", Type.DATABASE, ""));
        bad.put("a b", mount("openbao", Type.KV_V2, null));
        assertThatThrownBy(() -> MountTable.of(bad, "openbao"::equals)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'sys' is Vault's own API").hasMessageContaining("no backend named 'nowhere'")
                .hasMessageContaining("only a kv-v2 mount may stand for a whole backend")
                .hasMessageContaining("a mount name is one or more segments");
    }
}
