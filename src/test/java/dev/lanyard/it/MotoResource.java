package dev.lanyard.it;

import dev.lanyard.devstack.MotoServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * moto in server mode as the AWS account of the backend {@code aws}: Secrets Manager with {@code app/db} in two
 * versions, a binary secret and a plain string, and STS roles {@code deployer} and {@code auditor}. Policies let
 * {@code token:app} read {@code aws/app/**} and assume {@code deployer}, and ServiceAccounts of {@code payments}
 * assume {@code deployer}; {@code auditor} nobody may assume. It is also where audit checkpoints are published, as in
 * production: an S3 bucket with Object Lock and a default COMPLIANCE retention. Injected as an
 * {@code @InjectPeer AwsPeer}.
 */
public class MotoResource implements QuarkusTestResourceLifecycleManager {

    public static final String ROLE_ARN = "arn:aws:iam::123456789012:role/deployer";
    public static final String CHECKPOINT_BUCKET = "lanyard-audit-checkpoints";

    private MotoServer moto;
    private SdkHttpClient http;
    private AwsPeer peer;

    /** The moto server the backend {@code aws} talks to, and what was seeded there. */
    public record AwsPeer(MotoServer server, SecretsManagerClient operator, List<String> appDbVersions, S3Client s3) {}

    @Override
    public Map<String, String> start() {
        Path work;
        try {
            work = Files.createTempDirectory("lanyard-it-moto-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        moto = MotoServer.start(MotoServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "moto_server is needed: '. scripts/peers.sh && lanyard_install_moto' installs it into .cache/venv")), work);
        http = UrlConnectionHttpClient.create();
        SecretsManagerClient operator = SecretsManagerClient.builder().httpClient(http).region(Region.of(MotoServer.REGION))
                .endpointOverride(moto.endpoint())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("operator", "operator-secret")))
                .build();
        String first = operator.createSecret(r -> r.name("app/db")
                .secretString("{\"username\": \"app\", \"password\": \"first-password\"}")).versionId();
        String second = operator.putSecretValue(r -> r.secretId("app/db")
                .secretString("{\"username\": \"app\", \"password\": \"second-password\"}")).versionId();
        operator.createSecret(r -> r.name("app/keystore").secretBinary(SdkBytes.fromByteArray(new byte[] {0, 1, 2, (byte) 0xfe})));
        operator.createSecret(r -> r.name("app/api-token").secretString("plain-api-token"));
        S3Client s3 = S3Client.builder().httpClient(http).region(Region.of(MotoServer.REGION)).endpointOverride(moto.endpoint())
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("operator", "operator-secret")))
                .build();
        s3.createBucket(r -> r.bucket(CHECKPOINT_BUCKET).objectLockEnabledForBucket(true));
        s3.putObjectLockConfiguration(r -> r.bucket(CHECKPOINT_BUCKET).objectLockConfiguration(c -> c
                .objectLockEnabled(ObjectLockEnabled.ENABLED)
                .rule(rule -> rule.defaultRetention(d -> d.mode(ObjectLockRetentionMode.COMPLIANCE).days(1)))));
        peer = new AwsPeer(moto, operator, List.of(first, second), s3);

        Map<String, String> config = new HashMap<>();
        config.put("lanyard.aws.aws.region", MotoServer.REGION);
        config.put("lanyard.aws.aws.endpoint-override", moto.endpoint().toString());
        config.put("lanyard.aws.aws.sts.endpoint-override", moto.endpoint().toString());
        config.put("lanyard.aws.aws.credentials.source", "static");
        config.put("lanyard.aws.aws.credentials.access-key-id", "file:" + file(work, "access-key-id", "lanyard"));
        config.put("lanyard.aws.aws.credentials.secret-access-key", "file:" + file(work, "secret-access-key", "lanyard-secret"));
        config.put("lanyard.aws.aws.sts.roles.deployer.arn", ROLE_ARN);
        config.put("lanyard.aws.aws.sts.roles.deployer.duration", "20m");
        config.put("lanyard.aws.aws.sts.roles.auditor.arn", "arn:aws:iam::123456789012:role/auditor");
        config.put("lanyard.policy.aws-app.subjects", "token:app");
        config.put("lanyard.policy.aws-app.rules[0].paths", "aws/app/**,aws/sts/deployer");
        config.put("lanyard.policy.aws-app.rules[0].capabilities", "read,issue,renew,revoke");
        config.put("lanyard.policy.aws-payments.subjects", "sa:payments/*");
        config.put("lanyard.policy.aws-payments.rules[0].paths", "aws/sts/deployer");
        config.put("lanyard.policy.aws-payments.rules[0].capabilities", "issue");
        config.put("lanyard.audit.checkpoint-s3.bucket", CHECKPOINT_BUCKET);
        config.put("lanyard.audit.checkpoint-s3.region", MotoServer.REGION);
        config.put("lanyard.audit.checkpoint-s3.endpoint-override", moto.endpoint().toString());
        config.put("lanyard.audit.checkpoint-s3.access-key-id", "file:" + file(work, "s3-access-key-id", "lanyard"));
        config.put("lanyard.audit.checkpoint-s3.secret-access-key", "file:" + file(work, "s3-secret-access-key", "lanyard-secret"));
        config.put("lanyard.audit.checkpoint-s3.replica", "lanyard-test-0");
        return config;
    }

    private static Path file(Path work, String name, String value) {
        try {
            return Files.writeString(work.resolve(name), value).toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void inject(TestInjector injector) {
        injector.injectIntoFields(peer, PostgresResource.peer(AwsPeer.class));
    }

    @Override
    public void stop() {
        if (peer != null) {
            peer.operator().close();
            peer.s3().close();
        }
        if (http != null) {
            http.close();
        }
        if (moto != null) {
            moto.stop();
        }
    }
}
