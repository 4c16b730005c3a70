package dev.lanyard.rotation.protocol;

import java.net.URI;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;

/**
 * The Secrets Manager client a function runs with, configured from the environment only: {@code AWS_REGION}
 * (Lambda sets it) and, as in AWS's templates, {@code SECRETS_MANAGER_ENDPOINT} for a VPC endpoint or a test
 * server (when absent, the region's public endpoint).
 *
 * <p>Cold start decides the choices. The HTTP client is the JDK's URLConnection, named here so the SDK does not
 * scan the class path for one: it loads a fraction of the classes of the Apache or Netty clients, needs no extra
 * jars, and a rotation makes a handful of sequential calls, so pooling and async I/O buy nothing. Credentials come
 * from the default chain, which finds Lambda's environment variables first, and the container credentials Lambda
 * gives SnapStart functions instead.
 */
public final class SecretsManagerClients {
    private SecretsManagerClients() {
    }

    public static SecretsManagerClient fromEnvironment(Map<String, String> environment) {
        String region = environment.get("AWS_REGION");
        if (region == null || region.isBlank()) {
            throw new IllegalStateException("AWS_REGION is not set (Lambda sets it; set it to invoke a function locally)");
        }
        SecretsManagerClientBuilder builder = SecretsManagerClient.builder()
                .httpClient(UrlConnectionHttpClient.create())
                .region(Region.of(region))
                .credentialsProvider(DefaultCredentialsProvider.builder().build());
        String endpoint = environment.get("SECRETS_MANAGER_ENDPOINT");
        if (endpoint != null && !endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint.strip()));
        }
        return builder.build();
    }
}
