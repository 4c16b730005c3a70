package dev.lanyard.backend.aws;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** AWS backend configuration as SmallRye would bind it, for building backends without Quarkus. */
final class TestAwsConfig {

    private TestAwsConfig() {}

    /** An access key in two files, as a deployment outside AWS would reference it. */
    record StaticKey(Path keyIdFile, Path secretKeyFile) implements AwsBackendConfig.Credentials {
        @Override public AwsBackendConfig.Source source() { return AwsBackendConfig.Source.STATIC; }
        @Override public Optional<String> accessKeyId() { return Optional.of("file:" + keyIdFile); }
        @Override public Optional<String> secretAccessKey() { return Optional.of("file:" + secretKeyFile); }
        @Override public Optional<String> assumeRoleArn() { return Optional.empty(); }
        @Override public Optional<String> externalId() { return Optional.empty(); }
    }

    record Role(String arn, Duration duration, Duration maxDuration, Optional<String> sessionPolicy, boolean sessionTags)
            implements AwsBackendConfig.Role {
        static Role of(String arn) {
            return new Role(arn, Duration.ofMinutes(15), Duration.ofHours(1), Optional.empty(), true);
        }
    }

    record Instance(Optional<URI> endpointOverride, AwsBackendConfig.Credentials credentials, Duration callTimeout,
                    int maxAttempts, int versionCheckEntries, Map<String, AwsBackendConfig.Role> roles)
            implements AwsBackendConfig.Instance {

        static Instance at(URI endpoint, AwsBackendConfig.Credentials credentials, Map<String, AwsBackendConfig.Role> roles) {
            return new Instance(Optional.of(endpoint), credentials, Duration.ofSeconds(5), 3, 1000, roles);
        }

        Instance callTimeout(Duration timeout) {
            return new Instance(endpointOverride, credentials, timeout, maxAttempts, versionCheckEntries, roles);
        }

        Instance maxAttempts(int attempts) {
            return new Instance(endpointOverride, credentials, callTimeout, attempts, versionCheckEntries, roles);
        }

        @Override public boolean enabled() { return true; }
        @Override public String region() { return "us-east-1"; }
        @Override public Duration connectTimeout() { return Duration.ofSeconds(1); }
        @Override public Duration attemptTimeout() { return Duration.ofSeconds(2); }
        @Override public AwsBackendConfig.Sts sts() {
            return new AwsBackendConfig.Sts() {
                @Override public Optional<URI> endpointOverride() { return endpointOverride; }
                @Override public Map<String, AwsBackendConfig.Role> roles() { return roles; }
            };
        }
    }
}
