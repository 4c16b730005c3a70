package dev.lanyard.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerAsyncClient;

/**
 * What the SDK makes of two 404-ish answers, through a real client against a local HTTP server: Secrets Manager's own
 * "no such secret" (a 400 with ResourceNotFoundException) is not found; a bare 404 from whatever else answers at a
 * misconfigured endpoint says nothing about the secret, so it is unavailable.
 */
class AwsFailuresTest {

    private HttpServer server;
    private volatile int status;
    private volatile String body;
    private volatile String contentType;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", contentType);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void resourceNotFoundIsNotFound() {
        answer(400, "application/x-amz-json-1.1",
                "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Secrets Manager can't find the specified secret.\"}");
        assertThat(read()).isInstanceOf(SecretNotFoundException.class);
    }

    @Test
    void aBare404FromTheEndpointIsUnavailableNotNotFound() {
        answer(404, "text/html", "<html><body>404 Not Found</body></html>");
        assertThat(read()).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("check the endpoint")
                .hasMessageNotContaining("html");
    }

    private void answer(int status, String contentType, String body) {
        this.status = status;
        this.contentType = contentType;
        this.body = body;
    }

    private Throwable read() {
        try (SecretsManagerAsyncClient client = SecretsManagerAsyncClient.builder()
                .endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                .build()) {
            Throwable failure = catchThrowable(() -> client.getSecretValue(r -> r.secretId("payments/db")).join());
            return new AwsFailures("aws").translate(failure, "read", "payments/db");
        }
    }
}
