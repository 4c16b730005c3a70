package dev.lanyard.backend.aws;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * AWS backend instances (Secrets Manager and STS in one account and region), keyed by backend name:
 * {@code lanyard.aws."<name>".region=eu-west-1}. Credentials are never configured by value: the SDK's default chain
 * finds them (environment, web identity / IRSA, container and instance profiles), or references name them.
 */
@ConfigMapping(prefix = "lanyard.aws")
public interface AwsBackendConfig {

    @WithParentName
    Map<String, Instance> instances();

    interface Instance {
        /** Set to false to keep an instance's configuration without serving it. */
        @WithDefault("true")
        boolean enabled();

        /** The AWS region, such as {@code eu-west-1}. */
        String region();

        /**
         * Where to send Secrets Manager calls instead of the region's public endpoint: a VPC endpoint, or a local AWS
         * stand-in such as moto ({@code http://127.0.0.1:5000}). STS has its own, {@code sts.endpoint-override}.
         */
        Optional<URI> endpointOverride();

        /** How Lanyard authenticates to AWS. */
        Credentials credentials();

        /** Time allowed to open a connection; short, so an unreachable endpoint fails requests fast. */
        @WithDefault("2s")
        Duration connectTimeout();

        /** Time allowed for one attempt of a call. */
        @WithDefault("2s")
        Duration attemptTimeout();

        /**
         * The deadline of a whole call, retries and their backoff included: throttling and 5xx answers are retried
         * inside it, then the call fails as unavailable.
         */
        @WithDefault("5s")
        Duration callTimeout();

        /** Attempts per call, the first included (the SDK's standard retry strategy: jittered exponential backoff). */
        @WithDefault("3")
        int maxAttempts();

        /**
         * How many secrets' current versions are remembered to answer a read after a cache miss with
         * {@code DescribeSecret} alone when the current version id has not changed (as AWS's caching client does);
         * 0 turns it off, and every read is a {@code GetSecretValue}.
         */
        @WithDefault("1000")
        int versionCheckEntries();

        /** STS: the roles {@code POST /v1/creds/<name>/sts/<role>} assumes. */
        Sts sts();
    }

    interface Credentials {
        /**
         * {@code default}: the SDK's default chain. {@code static}: an access key named by the references below (for
         * endpoints outside AWS, such as a local stand-in).
         */
        @WithDefault("default")
        Source source();

        /** For {@code static}: reference ({@code file:} or {@code env:}) to the access key id. */
        Optional<String> accessKeyId();

        /** For {@code static}: reference to the secret access key. */
        Optional<String> secretAccessKey();

        /**
         * A base role Lanyard assumes with the credentials above before every call (refreshed before it expires), so
         * one identity per deployment reaches accounts it was granted.
         */
        Optional<String> assumeRoleArn();

        /** The external id the base role's trust policy demands, if any. */
        Optional<String> externalId();
    }

    enum Source {
        DEFAULT, STATIC
    }

    interface Sts {
        /**
         * Where to send STS calls (issued credentials, and the base role) instead of the region's STS endpoint: an
         * STS VPC endpoint, or the same local stand-in as Secrets Manager.
         */
        Optional<URI> endpointOverride();

        /** Role name in Lanyard's paths ({@code sts/<role>}) to the IAM role it assumes. */
        Map<String, Role> roles();
    }

    interface Role {
        /** The IAM role's ARN. */
        String arn();

        /** How long issued credentials last; STS allows 15 minutes at least. */
        @WithDefault("15m")
        Duration duration();

        /**
         * The role's maximum session duration as set in IAM (1 hour unless raised, 12 hours at most): a duration above
         * it is refused at start-up instead of failing every issue.
         */
        @WithDefault("1h")
        Duration maxDuration();

        /** An inline session policy (JSON) that narrows what the credentials may do below the role's own policies. */
        Optional<String> sessionPolicy();

        /**
         * Whether to tag sessions with the caller ({@code lanyard:caller}, and {@code lanyard:namespace},
         * {@code lanyard:service-account} for ServiceAccounts). The role's trust policy must allow
         * {@code sts:TagSession}.
         */
        @WithDefault("true")
        boolean sessionTags();
    }
}
