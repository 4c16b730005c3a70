package dev.lanyard.backend.aws;

import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendFactory;
import dev.lanyard.support.SecretReference;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/** Creates {@code aws} backends: Secrets Manager for static secrets, STS for short-lived AWS credentials. */
@ApplicationScoped
public class AwsBackendFactory implements SecretBackendFactory {

    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+");
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]{1,512}");
    private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** What STS grants at least and at most. */
    private static final Duration SHORTEST = Duration.ofMinutes(15);
    private static final Duration LONGEST = Duration.ofHours(12);

    private final AwsBackendConfig config;
    private final InstantSource clock;

    AwsBackendFactory(AwsBackendConfig config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "aws";
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return SecretsManagerBackend.CAPABILITIES;
    }

    @Override
    public Set<String> configuredInstances() {
        return SecretBackendFactory.enabledNames(config.instances(), AwsBackendConfig.Instance::enabled);
    }

    @Override
    public List<String> validate(String instance) {
        AwsBackendConfig.Instance settings = config.instances().get(instance);
        List<String> problems = new ArrayList<>();
        if (!REGION.matcher(settings.region()).matches()) {
            problems.add("region must be an AWS region such as eu-west-1");
        }
        settings.endpointOverride().ifPresent(endpoint -> checkEndpoint(problems, "endpoint-override", endpoint));
        settings.sts().endpointOverride().ifPresent(endpoint -> checkEndpoint(problems, "sts.endpoint-override", endpoint));
        AwsBackendConfig.Credentials credentials = settings.credentials();
        if (credentials.source() == AwsBackendConfig.Source.STATIC) {
            requireReference(problems, "credentials.access-key-id", credentials.accessKeyId().orElse(null));
            requireReference(problems, "credentials.secret-access-key", credentials.secretAccessKey().orElse(null));
        } else if (credentials.accessKeyId().isPresent() || credentials.secretAccessKey().isPresent()) {
            problems.add("credentials.access-key-id and secret-access-key are read only with credentials.source=static");
        }
        credentials.assumeRoleArn().filter(arn -> !ROLE_ARN.matcher(arn).matches())
                .ifPresent(arn -> problems.add("credentials.assume-role-arn must be an IAM role ARN"));
        positive(problems, "connect-timeout", settings.connectTimeout());
        positive(problems, "attempt-timeout", settings.attemptTimeout());
        positive(problems, "call-timeout", settings.callTimeout());
        if (settings.callTimeout().compareTo(settings.attemptTimeout()) < 0) {
            problems.add("call-timeout must be at least attempt-timeout: it bounds every attempt and the backoff between them");
        }
        if (settings.maxAttempts() < 1 || settings.maxAttempts() > 10) {
            problems.add("max-attempts must be between 1 and 10");
        }
        if (settings.versionCheckEntries() < 0) {
            problems.add("version-check-entries must not be negative");
        }
        settings.sts().roles().forEach((role, roleSettings) -> {
            String where = "sts.roles." + role;
            if (!ROLE_NAME.matcher(role).matches()) {
                problems.add(where + ": a role name is 1 to 64 of [A-Za-z0-9_.-]");
            }
            if (!ROLE_ARN.matcher(roleSettings.arn()).matches()) {
                problems.add(where + ".arn must be an IAM role ARN");
            }
            Duration max = roleSettings.maxDuration();
            if (max.compareTo(SHORTEST) < 0 || max.compareTo(LONGEST) > 0) {
                problems.add(where + ".max-duration must be between 15m and 12h, as IAM allows");
            }
            Duration duration = roleSettings.duration();
            if (duration.compareTo(SHORTEST) < 0 || duration.compareTo(max) > 0) {
                problems.add(where + ".duration must be between 15m and the role's max-duration (" + max + ")");
            }
        });
        return problems;
    }

    private static void checkEndpoint(List<String> problems, String property, URI endpoint) {
        if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
            problems.add(property + " must be an http(s) URL");
        }
    }

    private static void positive(List<String> problems, String property, Duration value) {
        if (value.isZero() || value.isNegative()) {
            problems.add(property + " must be positive");
        }
    }

    private static void requireReference(List<String> problems, String property, String reference) {
        SecretReference.problemWithRequired(property, reference).ifPresent(problems::add);
    }

    @Override
    public SecretBackend create(String instance) {
        return create(instance, List.of());
    }

    /** An instance whose SDK calls also pass through {@code interceptors} (tests count what reaches AWS). */
    SecretBackend create(String instance, List<ExecutionInterceptor> interceptors) {
        AwsBackendConfig.Instance settings = config.instances().get(instance);
        return new SecretsManagerBackend(instance, new AwsClients(settings, interceptors), settings.sts().roles(),
                settings.versionCheckEntries(), clock);
    }

}
