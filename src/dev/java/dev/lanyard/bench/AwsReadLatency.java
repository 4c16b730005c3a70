package dev.lanyard.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;

/**
 * One Secrets Manager read two ways, against the same moto, interleaved so both see the same machine: directly with
 * the SDK's async client (the client Lanyard's backend uses, built the same way), and through Lanyard over HTTP with
 * its caches out of the way (bench/aws-read-latency.sh starts Lanyard so), which adds authentication, policy, the
 * audit row and the HTTP hop. Prints p50 and p90 of each and their ratio. Sequential: latency, not throughput.
 *
 * <p>Arguments: the dev stack's stack.json, the number of reads of each kind, the warm-up reads of each kind.
 */
public final class AwsReadLatency {

    private AwsReadLatency() {}

    public static void main(String[] args) throws Exception {
        JsonNode stack = new ObjectMapper().readTree(Files.readString(Path.of(args[0])));
        int reads = Integer.parseInt(args[1]);
        int warmup = Integer.parseInt(args[2]);
        URI moto = URI.create(stack.path("moto_endpoint").asText());
        String token = Files.readString(Path.of(stack.path("demo_token_file").asText())).strip();
        URI lanyard = URI.create(stack.path("lanyard_url").asText() + "/v1/secrets/aws/demo/hello");

        try (SecretsManagerAsyncClient sdk = SecretsManagerAsyncClient.builder()
                .httpClient(NettyNioAsyncHttpClient.builder().build())
                .region(Region.US_EAST_1).endpointOverride(moto)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("bench", "bench")))
                .build();
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest request = HttpRequest.newBuilder(lanyard).header("Authorization", "Bearer " + token).GET().build();
            long[] direct = new long[reads];
            long[] through = new long[reads];
            for (int i = -warmup; i < reads; i++) {
                long start = System.nanoTime();
                String value = sdk.getSecretValue(r -> r.secretId("demo/hello").versionStage("AWSCURRENT")).join().secretString();
                long sdkNanos = System.nanoTime() - start;
                start = System.nanoTime();
                HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
                long lanyardNanos = System.nanoTime() - start;
                if (value == null || answer.statusCode() != 200) {
                    throw new IllegalStateException("read failed: Lanyard answered " + answer.statusCode());
                }
                if (i >= 0) {
                    direct[i] = sdkNanos;
                    through[i] = lanyardNanos;
                }
            }
            Arrays.sort(direct);
            Arrays.sort(through);
            double directP50 = millis(direct[reads / 2]);
            double throughP50 = millis(through[reads / 2]);
            System.out.printf(Locale.ROOT, "reads of each: %d (after %d warm-up)%n", reads, warmup);
            System.out.printf(Locale.ROOT, "direct SDK GetSecretValue   p50 %.2f ms  p90 %.2f ms%n", directP50, millis(direct[reads * 9 / 10]));
            System.out.printf(Locale.ROOT, "through Lanyard, uncached   p50 %.2f ms  p90 %.2f ms%n", throughP50, millis(through[reads * 9 / 10]));
            System.out.printf(Locale.ROOT, "ratio of p50s (Lanyard / SDK): %.2f%n", throughP50 / directP50);
        } catch (IOException e) {
            throw new IllegalStateException("the benchmark could not reach Lanyard or moto", e);
        }
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
