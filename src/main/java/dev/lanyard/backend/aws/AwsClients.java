package dev.lanyard.backend.aws;

import dev.lanyard.support.SecretReference;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClientBuilder;
import software.amazon.awssdk.services.sts.StsAsyncClient;
import software.amazon.awssdk.services.sts.StsAsyncClientBuilder;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * The SDK clients of one AWS instance: Secrets Manager and STS, asynchronous, sharing one HTTP client.
 *
 * <p><b>Why the Netty client.</b> Lanyard already runs on Netty (Vert.x), so the SDK's Netty client adds one small jar
 * and no native code: the AWS CRT client would bring a native library of several megabytes per platform, loaded at
 * start-up, to save milliseconds of cold start that a long-running service does not need (the rotation Lambdas, which
 * do, use the URLConnection client for the same reason). Each instance gets one event loop thread: calls are short
 * and waits cost no thread, and memory stays flat however many instances are configured.
 *
 * <p>Credentials come from the SDK's default chain (environment, web identity / IRSA, container and instance
 * profiles) or from references in configuration, optionally exchanged for a base role refreshed in the background.
 * The chain's web identity provider and the base role call STS synchronously, through the JDK's URLConnection.
 */
final class AwsClients implements AutoCloseable {

    private final SdkAsyncHttpClient http;
    private final SdkHttpClient credentialsHttp;
    private final AwsCredentialsProvider credentials;
    private final StsClient baseRoleSts;
    private final SecretsManagerAsyncClient secretsManager;
    private final StsAsyncClient sts;

    AwsClients(AwsBackendConfig.Instance settings, List<ExecutionInterceptor> interceptors) {
        Region region = Region.of(settings.region());
        this.http = NettyNioAsyncHttpClient.builder()
                // Built by the client from this builder, so closing the client stops its thread.
                .eventLoopGroupBuilder(SdkEventLoopGroup.builder().numberOfThreads(1))
                .connectionTimeout(settings.connectTimeout())
                .build();
        this.credentialsHttp = UrlConnectionHttpClient.builder()
                .connectionTimeout(settings.connectTimeout())
                .socketTimeout(settings.attemptTimeout())
                .build();
        AwsCredentialsProvider signIn = signIn(settings.credentials());
        if (settings.credentials().assumeRoleArn().isPresent()) {
            // The same deadlines as every other call: a refresh that finds the cached role expired blocks its caller.
            var stsBuilder = StsClient.builder().region(region).httpClient(credentialsHttp).credentialsProvider(signIn)
                    .overrideConfiguration(o -> o.apiCallAttemptTimeout(settings.attemptTimeout())
                            .apiCallTimeout(settings.callTimeout()));
            settings.sts().endpointOverride().ifPresent(stsBuilder::endpointOverride);
            this.baseRoleSts = stsBuilder.build();
            this.credentials = StsAssumeRoleCredentialsProvider.builder()
                    .stsClient(baseRoleSts)
                    .asyncCredentialUpdateEnabled(true)
                    .refreshRequest(r -> {
                        r.roleArn(settings.credentials().assumeRoleArn().get()).roleSessionName("lanyard");
                        settings.credentials().externalId().ifPresent(r::externalId);
                    })
                    .build();
        } else {
            this.baseRoleSts = null;
            this.credentials = signIn;
        }
        ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(settings.attemptTimeout())
                .apiCallTimeout(settings.callTimeout())
                .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(settings.maxAttempts()).build());
        interceptors.forEach(override::addExecutionInterceptor);

        SecretsManagerAsyncClientBuilder secrets = SecretsManagerAsyncClient.builder()
                .region(region).httpClient(http).credentialsProvider(credentials).overrideConfiguration(override.build());
        settings.endpointOverride().ifPresent(secrets::endpointOverride);
        this.secretsManager = secrets.build();
        StsAsyncClientBuilder stsBuilder = StsAsyncClient.builder()
                .region(region).httpClient(http).credentialsProvider(credentials).overrideConfiguration(override.build());
        settings.sts().endpointOverride().ifPresent(stsBuilder::endpointOverride);
        this.sts = stsBuilder.build();
    }

    private AwsCredentialsProvider signIn(AwsBackendConfig.Credentials config) {
        return switch (config.source()) {
            case DEFAULT -> DefaultCredentialsProvider.builder().build();
            case STATIC -> StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    SecretReference.parse(config.accessKeyId().orElseThrow()).resolve(),
                    SecretReference.parse(config.secretAccessKey().orElseThrow()).resolve()));
        };
    }

    SecretsManagerAsyncClient secretsManager() {
        return secretsManager;
    }

    StsAsyncClient sts() {
        return sts;
    }

    @Override
    public void close() {
        secretsManager.close();
        sts.close();
        if (credentials instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                // stopping: nothing left to use it
            }
        }
        if (baseRoleSts != null) {
            baseRoleSts.close();
        }
        http.close();
        credentialsHttp.close();
    }
}
