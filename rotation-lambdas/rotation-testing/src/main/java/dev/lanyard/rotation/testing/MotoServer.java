package dev.lanyard.rotation.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.Runtime;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * moto in server mode, playing AWS Secrets Manager on a free loopback port: {@code $LANYARD_MOTO} (the path of
 * {@code moto_server}; {@code scripts/peers.sh} installs it) or {@code moto_server} on the PATH. Started by the
 * tests, stopped when they end.
 *
 * <p>It also holds a Lambda function for {@code RotateSecret} to name: moto refuses a rotation whose function
 * does not exist, and with its Docker-free Lambda backend it never runs one. So a rotation here is what it is on
 * AWS up to the point where Secrets Manager would invoke the function (the pending version exists, rotation is
 * enabled), and the tests invoke the handlers themselves.
 */
public final class MotoServer implements AutoCloseable {
    public static final Region REGION = Region.US_EAST_1;
    /** moto accepts any credentials; these are only what the SDK signs with. */
    public static final Map<String, String> CREDENTIALS_ENVIRONMENT =
            Map.of("AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing");

    private final Process process;
    private final URI endpoint;
    private final Path log;
    private final SdkHttpClient http = UrlConnectionHttpClient.create();
    private final SecretsManagerClient secretsManager;
    private final String rotationFunctionArn;

    private MotoServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
        this.secretsManager = SecretsManagerClient.builder()
                .httpClient(http).region(REGION).endpointOverride(endpoint).credentialsProvider(credentials()).build();
        this.rotationFunctionArn = createRotationFunction();
    }

    /** The path of {@code moto_server}, or a failure that says how to install it. */
    public static Path binary() {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("LANYARD_MOTO")).filter(p -> !p.isBlank()).map(Path::of).ifPresent(candidates::add);
        for (String directory : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!directory.isEmpty()) {
                candidates.add(Path.of(directory, "moto_server"));
            }
        }
        return candidates.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IllegalStateException(
                "moto_server not found: set LANYARD_MOTO to its path. From the repository root: "
                        + "'. scripts/peers.sh && lanyard_install_moto' installs moto[server] into .cache/venv "
                        + "and exports LANYARD_MOTO (scripts/test.sh does this)."));
    }

    public static MotoServer start(Path workDirectory) {
        int port = FreePort.pick();
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        try {
            Files.createDirectories(workDirectory);
            Path log = workDirectory.resolve("moto-" + port + ".log");
            Process process = new ProcessBuilder(binary().toString(), "-H", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            awaitReady(process, endpoint, log);
            configureDockerFreeLambda(endpoint);
            return new MotoServer(process, endpoint, log);
        } catch (IOException e) {
            throw new UncheckedIOException("moto did not start", e);
        }
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A Secrets Manager client for the tests' own calls (and for handlers made in the test's JVM). */
    public SecretsManagerClient secretsManager() {
        return secretsManager;
    }

    /** The function {@code RotateSecret} names. */
    public String rotationFunctionArn() {
        return rotationFunctionArn;
    }

    /** What a function needs in its environment to reach this server as Secrets Manager. */
    public Map<String, String> functionEnvironment() {
        return Map.of("AWS_REGION", REGION.id(), "SECRETS_MANAGER_ENDPOINT", endpoint.toString(),
                "AWS_ACCESS_KEY_ID", CREDENTIALS_ENVIRONMENT.get("AWS_ACCESS_KEY_ID"),
                "AWS_SECRET_ACCESS_KEY", CREDENTIALS_ENVIRONMENT.get("AWS_SECRET_ACCESS_KEY"));
    }

    @Override
    public void close() {
        secretsManager.close();
        http.close();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(
                CREDENTIALS_ENVIRONMENT.get("AWS_ACCESS_KEY_ID"), CREDENTIALS_ENVIRONMENT.get("AWS_SECRET_ACCESS_KEY")));
    }

    private static void awaitReady(Process process, URI endpoint, Path log) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("moto_server exited during start-up; see " + log);
            }
            try {
                HttpResponse<Void> response = client.send(
                        HttpRequest.newBuilder(endpoint.resolve("/moto-api/")).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto", e);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for moto", e);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("moto_server did not answer within 60 s; see " + log);
    }

    // moto's default Lambda backend runs functions in Docker; the simple one stores them and never runs them.
    private static void configureDockerFreeLambda(URI endpoint) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(endpoint.resolve("/moto-api/config"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"lambda\": {\"use_docker\": false}}"))
                .build();
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException("moto refused its configuration: " + response.statusCode());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while configuring moto", e);
        }
    }

    private String createRotationFunction() {
        try (IamClient iam = IamClient.builder().httpClient(http).region(Region.AWS_GLOBAL)
                .endpointOverride(endpoint).credentialsProvider(credentials()).build();
             LambdaClient lambda = LambdaClient.builder().httpClient(http).region(REGION)
                     .endpointOverride(endpoint).credentialsProvider(credentials()).build()) {
            String roleArn = iam.createRole(request -> request.roleName("rotation-function")
                    .assumeRolePolicyDocument("""
                            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                              "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}""")).role().arn();
            return lambda.createFunction(request -> request.functionName("rotation")
                    .runtime(Runtime.JAVA21)
                    .role(roleArn)
                    .handler("placeholder::handleRequest")
                    .code(code -> code.zipFile(SdkBytes.fromByteArray(placeholderZip())))).functionArn();
        }
    }

    private static byte[] placeholderZip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("README"));
            zip.write("moto never runs this function".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public String toString() {
        return "moto at " + endpoint + " (log " + log + ")";
    }
}
