package dev.lanyard.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.devstack.FreePort;
import dev.lanyard.devstack.MotoServer;
import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendContract;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * The AWS backend against moto in server mode, started on a free loopback port for this class and stopped after it.
 * Seeds go through the SDK's own {@code CreateSecret}/{@code PutSecretValue}, as an operator or a rotation function
 * writes. moto does not enforce IAM here, so no path is refused by the peer.
 */
class SecretsManagerBackendContractIT extends SecretBackendContract {

    private static final String ROLE_ARN = "arn:aws:iam::123456789012:role/deployer";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    private MotoServer moto;
    private SdkHttpClient http;
    private SecretsManagerClient operator;
    private SecretBackend backend;
    private SecretBackend unreachable;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @BeforeAll
    void startMoto() throws IOException {
        Path binary = MotoServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "moto_server is needed: '. scripts/peers.sh && lanyard_install_moto' installs it into .cache/venv"));
        moto = MotoServer.start(binary, work.resolve("moto"));
        http = UrlConnectionHttpClient.create();
        operator = SecretsManagerClient.builder().httpClient(http).region(Region.US_EAST_1).endpointOverride(moto.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("operator", "operator-secret")))
                .build();
        backend = backend(moto.endpoint(), counting());
        // Nothing listens there: every call that is attempted fails to connect.
        unreachable = backend(URI.create("http://127.0.0.1:" + FreePort.pick()), List.of());
    }

    @AfterAll
    void stopMoto() {
        for (AutoCloseable closeable : new AutoCloseable[] {backend, unreachable, operator, http, moto}) {
            if (closeable != null) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    // stopping what is left
                }
            }
        }
    }

    static AwsBackendConfig.Credentials keyFiles(Path work) {
        try {
            return new TestAwsConfig.StaticKey(Files.writeString(work.resolve("access-key-id"), "lanyard"),
                    Files.writeString(work.resolve("secret-access-key"), "lanyard-secret"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SecretBackend backend(URI endpoint, List<ExecutionInterceptor> interceptors) {
        return backend(TestAwsConfig.Instance.at(endpoint, keyFiles(work), Map.of("deployer", TestAwsConfig.Role.of(ROLE_ARN))),
                interceptors);
    }

    static SecretBackend backend(TestAwsConfig.Instance instance, List<ExecutionInterceptor> interceptors) {
        AwsBackendConfig config = () -> Map.of("aws", instance);
        AwsBackendFactory factory = new AwsBackendFactory(config, InstantSource.system());
        assertThat(factory.validate("aws")).isEmpty();
        return factory.create("aws", interceptors);
    }

    /** Counts the calls that reach AWS by operation name. */
    private List<ExecutionInterceptor> counting() {
        return List.of(new ExecutionInterceptor() {
            @Override
            public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                calls.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicInteger())
                        .incrementAndGet();
            }
        });
    }

    private int count(String operation) {
        return calls.getOrDefault(operation, new AtomicInteger()).get();
    }

    @Override
    protected SecretBackend backend() {
        return backend;
    }

    @Override
    protected Set<BackendCapability> expectedCapabilities() {
        return Set.of(BackendCapability.READ, BackendCapability.VERSIONS, BackendCapability.STAGES,
                BackendCapability.WRITE, BackendCapability.ISSUE);
    }

    @Override
    protected SecretPath freshPath() {
        return SecretPath.of("contract/" + UUID.randomUUID());
    }

    @Override
    protected List<String> seed(SecretPath path, List<Map<String, String>> versions) {
        List<String> ids = new ArrayList<>();
        for (Map<String, String> fields : versions) {
            String value = json(fields);
            ids.add(ids.isEmpty() && !exists(path)
                    ? operator.createSecret(r -> r.name(path.value()).secretString(value)).versionId()
                    : operator.putSecretValue(r -> r.secretId(path.value()).secretString(value)).versionId());
        }
        return ids;
    }

    private boolean exists(SecretPath path) {
        return operator.listSecrets(r -> r.filters(f -> f.key("name").values(path.value()))).secretList().stream()
                .anyMatch(s -> s.name().equals(path.value()));
    }

    private static String json(Map<String, String> fields) {
        try {
            return JSON.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected String absentVersionId() {
        return UUID.randomUUID().toString();
    }

    @Override
    protected String malformedVersionId() {
        return "not-a-uuid";
    }

    @Override
    protected SecretBackend unreachableBackend() {
        return unreachable;
    }

    @Override
    protected List<SecretPath> pathsThePeerRefuses() {
        return List.of();
    }

    @Override
    protected Optional<SecretPath> issuablePath() {
        return Optional.of(SecretPath.of("sts/deployer"));
    }

    // ---- what only the AWS backend promises ---------------------------------------------------------------------

    @Test
    void aSecretIsReadByItsArnAsByItsName() {
        SecretPath path = freshPath();
        String id = seed(path, List.of(Map.of("password", "by-arn"))).getFirst();
        String arn = operator.describeSecret(r -> r.secretId(path.value())).arn();

        Secret byArn = await(backend.read(SecretPath.of(arn), VersionSelector.current()));

        assertThat(byArn.version()).contains(id);
        assertThat(byArn.value().field("password")).contains("by-arn");
    }

    @Test
    void aStringThatIsNotJsonIsOneFieldAndABinarySecretIsBase64() {
        SecretPath plain = freshPath();
        operator.createSecret(r -> r.name(plain.value()).secretString("just a token"));
        SecretPath binary = freshPath();
        byte[] bytes = {0, 1, 2, (byte) 0xff, 'k'};
        operator.createSecret(r -> r.name(binary.value()).secretBinary(SdkBytes.fromByteArray(bytes)));

        assertThat(await(backend.read(plain, VersionSelector.current())).value().reveal())
                .isEqualTo(Map.of(SecretFields.PLAIN, "just a token"));
        String encoded = await(backend.read(binary, VersionSelector.current())).value().field(SecretFields.BINARY).orElseThrow();
        assertThat(Base64.getDecoder().decode(encoded)).isEqualTo(bytes);
    }

    @Test
    void jsonMembersThatAreNotStringsAreServedAsTheirJson() {
        SecretPath path = freshPath();
        operator.createSecret(r -> r.name(path.value()).secretString("{\"port\": 5432, \"tls\": true, \"hosts\": [\"a\", \"b\"]}"));

        assertThat(await(backend.read(path, VersionSelector.current())).value().reveal())
                .isEqualTo(Map.of("port", "5432", "tls", "true", "hosts", "[\"a\",\"b\"]"));
    }

    @Test
    void anUnchangedCurrentVersionIsCheckedWithDescribeSecretAndFetchedOncePerChange() {
        SecretPath path = freshPath();
        List<String> ids = seed(path, List.of(Map.of("password", "one"), Map.of("password", "two")));
        int gets = count("GetSecretValue");
        int describes = count("DescribeSecret");

        assertThat(await(backend.read(path, VersionSelector.current())).version()).contains(ids.get(1));
        assertThat(await(backend.read(path, VersionSelector.current())).value().field("password")).contains("two");
        assertThat(await(backend.read(path, VersionSelector.current())).version()).contains(ids.get(1));
        assertThat(count("GetSecretValue") - gets).as("one fetch for an unchanged version").isEqualTo(1);
        assertThat(count("DescribeSecret") - describes).isEqualTo(2);

        // Rolled back around Lanyard, as an operator does in the console.
        operator.updateSecretVersionStage(r -> r.secretId(path.value()).versionStage("AWSCURRENT")
                .removeFromVersionId(ids.get(1)).moveToVersionId(ids.get(0)));

        Secret moved = await(backend.read(path, VersionSelector.current()));
        assertThat(moved.version()).contains(ids.get(0));
        assertThat(moved.value().field("password")).contains("one");
        assertThat(await(backend.read(path, VersionSelector.current())).version()).contains(ids.get(0));
        assertThat(count("GetSecretValue") - gets).as("exactly one more fetch for the change").isEqualTo(2);
    }

    @Test
    void aSecretMarkedForDeletionIsNotFound() {
        SecretPath path = freshPath();
        seed(path, List.of(Map.of("password", "doomed")));
        await(backend.read(path, VersionSelector.current()));
        operator.deleteSecret(r -> r.secretId(path.value()).recoveryWindowInDays(7L));

        assertThat(failure(backend.read(path, VersionSelector.current()))).isInstanceOf(SecretNotFoundException.class);
        assertThat(failure(backend.read(path, VersionSelector.stage(Stage.PREVIOUS)))).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void namesLabelsAndIdsAwsCannotTakeAreRefusedBeforeAnyCall() {
        SecretPath notAnArn = SecretPath.of("arn:aws:s3:::bucket");
        assertThat(failure(unreachable.read(notAnArn, VersionSelector.current()))).isInstanceOf(InvalidSecretPathException.class);
        SecretPath path = freshPath();
        assertThat(failure(unreachable.read(path, VersionSelector.stage(Stage.of("AWSPENDING")))))
                .as("pending has one spelling").isInstanceOf(InvalidSecretPathException.class);
        assertThat(failure(unreachable.read(path, VersionSelector.id("1")))).isInstanceOf(InvalidSecretPathException.class);
        assertThat(failure(unreachable.issue(SecretPath.of("contract/not-a-role")))).isInstanceOf(UnsupportedBackendOperationException.class);
        assertThat(failure(unreachable.issue(SecretPath.of("sts/unconfigured")))).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void stsCredentialsWorkAndTheirSessionIsNamedAfterTheCaller() {
        Secret issued = await(backend.issue(SecretPath.of("sts/deployer"), "sa:payments/api"));

        assertThat(issued.lease().id()).as("STS credentials have no lease id").isEmpty();
        assertThat(issued.lease().ttl()).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(15));
        assertThat(issued.value().fieldNames()).containsExactlyInAnyOrder("access_key_id", "secret_access_key", "session_token");
        try (StsClient asIssued = StsClient.builder().httpClient(http).region(Region.US_EAST_1).endpointOverride(moto.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                        issued.value().field("access_key_id").orElseThrow(), issued.value().field("secret_access_key").orElseThrow(),
                        issued.value().field("session_token").orElseThrow())))
                .build()) {
            GetCallerIdentityResponse identity = asIssued.getCallerIdentity();
            assertThat(identity.arn()).isEqualTo("arn:aws:sts::123456789012:assumed-role/deployer/sa-payments-api");
        }
    }

    @Test
    void throttlingIsRetriedWithinTheDeadline() {
        SecretPath path = freshPath();
        seed(path, List.of(Map.of("password", "patient")));
        try (ThrottlingProxy proxy = new ThrottlingProxy(moto.endpoint(), 2);
             SecretBackend throttled = backend(TestAwsConfig.Instance.at(proxy.endpoint(), keyFiles(work), Map.of()), List.of())) {
            assertThat(await(throttled.read(path, VersionSelector.current())).value().field("password")).contains("patient");
            assertThat(proxy.requests()).as("two throttled attempts, then the one served").isEqualTo(3);
        }
    }

    @Test
    void throttlingThatOutlastsTheRetriesIsUnavailableNeverAHang() {
        SecretPath path = freshPath();
        try (ThrottlingProxy proxy = new ThrottlingProxy(moto.endpoint(), Integer.MAX_VALUE);
             SecretBackend throttled = backend(TestAwsConfig.Instance.at(proxy.endpoint(), keyFiles(work), Map.of()), List.of())) {
            Throwable failure = failure(throttled.read(path, VersionSelector.current()));
            assertThat(failure).isInstanceOf(BackendUnavailableException.class);
            assertSafe(failure);
            assertThat(proxy.requests()).as("retried, and no more than the configured attempts").isBetween(2, 3);
        }
    }

    @Test
    void aStoppedPeerIsDownWithAReasonAndReadsAreUnavailable() throws IOException {
        Path binary = MotoServer.findBinary().orElseThrow();
        try (MotoServer doomed = MotoServer.start(binary, work.resolve("doomed"));
             SecretBackend onDoomed = backend(TestAwsConfig.Instance.at(doomed.endpoint(), keyFiles(work), Map.of())
                     .callTimeout(Duration.ofSeconds(3)), List.of())) {
            // A fresh moto compiles what it imports on its first requests: on a loaded machine that can outlast one
            // 3 s health call, so wait (bounded) until it has answered once before stopping it.
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            boolean up = false;
            while (!up && System.nanoTime() < giveUp) {
                up = await(onDoomed.health()).up();
            }
            assertThat(up).as("the fresh moto answered within a minute").isTrue();
            doomed.stop();

            BackendHealth health = await(onDoomed.health());
            assertThat(health.up()).isFalse();
            assertThat(health.reason()).isEqualTo("connection refused");
            Throwable read = failure(onDoomed.read(freshPath(), VersionSelector.current()));
            assertThat(read).isInstanceOf(BackendUnavailableException.class);
            assertThat(read.getMessage()).contains("connection refused");
        }
    }
}
