package dev.lanyard.backend.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwsBackendFactoryTest {

    @TempDir
    Path work;

    private static AwsBackendFactory factory(AwsBackendConfig.Instance instance) {
        AwsBackendConfig config = () -> Map.of("aws", instance);
        return new AwsBackendFactory(config, InstantSource.system());
    }

    private TestAwsConfig.Instance valid() throws Exception {
        return TestAwsConfig.Instance.at(URI.create("http://127.0.0.1:5000"), new TestAwsConfig.StaticKey(
                Files.writeString(work.resolve("id"), "AKIA"), Files.writeString(work.resolve("secret"), "s")), Map.of(
                "deployer", TestAwsConfig.Role.of("arn:aws:iam::123456789012:role/deployer")));
    }

    @Test
    void aValidInstanceHasNoProblems() throws Exception {
        assertThat(factory(valid()).validate("aws")).isEmpty();
    }

    @Test
    void aCredentialWrittenIntoConfigurationIsRefusedWithoutBeingEchoed() throws Exception {
        AwsBackendConfig.Credentials inline = new AwsBackendConfig.Credentials() {
            @Override public AwsBackendConfig.Source source() { return AwsBackendConfig.Source.STATIC; }
            @Override public Optional<String> accessKeyId() { return Optional.of("AKIAEXAMPLE"); }
            @Override public Optional<String> secretAccessKey() { return Optional.of("wJalrXUtnFEMI-canary"); }
            @Override public Optional<String> assumeRoleArn() { return Optional.empty(); }
            @Override public Optional<String> externalId() { return Optional.empty(); }
        };
        TestAwsConfig.Instance instance = new TestAwsConfig.Instance(valid().endpointOverride(), inline, Duration.ofSeconds(5), 3,
                1000, Map.of());

        assertThat(factory(instance).validate("aws"))
                .anySatisfy(problem -> assertThat(problem).startsWith("credentials.secret-access-key: a secret must be referenced"))
                .allSatisfy(problem -> assertThat(problem).doesNotContain("canary").doesNotContain("AKIAEXAMPLE"));
    }

    @Test
    void aDurationAboveTheRolesMaximumAndABadArnAreRefused() throws Exception {
        TestAwsConfig.Instance instance = new TestAwsConfig.Instance(valid().endpointOverride(), valid().credentials(),
                Duration.ofSeconds(5), 3, 1000, Map.of(
                        "long", new TestAwsConfig.Role("arn:aws:iam::123456789012:role/long", Duration.ofHours(2),
                                Duration.ofHours(1), Optional.empty(), true),
                        "bad", TestAwsConfig.Role.of("arn:aws:s3:::bucket")));

        assertThat(factory(instance).validate("aws")).containsExactlyInAnyOrder(
                "sts.roles.long.duration must be between 15m and the role's max-duration (PT1H)",
                "sts.roles.bad.arn must be an IAM role ARN");
    }

    @Test
    void aDeadlineShorterThanOneAttemptAndTooManyAttemptsAreRefused() throws Exception {
        TestAwsConfig.Instance instance = valid().callTimeout(Duration.ofSeconds(1)).maxAttempts(0);

        assertThat(factory(instance).validate("aws")).hasSize(2)
                .anySatisfy(problem -> assertThat(problem).startsWith("call-timeout must be at least attempt-timeout"))
                .anySatisfy(problem -> assertThat(problem).isEqualTo("max-attempts must be between 1 and 10"));
    }
}
