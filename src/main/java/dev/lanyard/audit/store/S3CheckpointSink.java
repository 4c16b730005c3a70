package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.support.SecretReference;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectLockConfigurationResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Checkpoints published to an S3 bucket with Object Lock, one object each, written once ({@code If-None-Match: *}) and
 * locked: nobody — not the database's administrators, not whoever holds Lanyard's own AWS role — can delete or overwrite
 * one until its retention ends. Every replica writes objects of its own, named
 * {@code <prefix><seq, 20 digits>-<signed_at>-<replica>.json}, so four replicas never write fragments of one file, and
 * listing by key is listing by seq.
 *
 * <p>Start-up refuses a bucket without Object Lock, or with neither a default retention nor
 * {@code lanyard.audit.checkpoint-s3.retention}: the objects would be deletable, and so would the evidence.
 */
final class S3CheckpointSink implements CheckpointSink {

    static final String DEFAULT_PREFIX = "lanyard/checkpoints/";

    /** Objects fetched at once when reading checkpoints back. */
    private static final int PARALLEL_READS = 16;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final String replica;
    private final Optional<Duration> retention;
    private final InstantSource clock;

    S3CheckpointSink(S3Client s3, String bucket, String prefix, String replica, Optional<Duration> retention,
                     InstantSource clock) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.replica = safe(replica);
        this.retention = retention;
        this.clock = clock;
    }

    static S3CheckpointSink create(AuditConfig.CheckpointS3 config, InstantSource clock) {
        S3ClientBuilder builder = S3Client.builder().httpClient(UrlConnectionHttpClient.create());
        config.region().map(Region::of).ifPresent(builder::region);
        config.endpointOverride().ifPresent(endpoint -> builder.endpointOverride(endpoint).forcePathStyle(true));
        if (config.accessKeyId().isPresent() != config.secretAccessKey().isPresent()) {
            throw new IllegalStateException("lanyard.audit.checkpoint-s3: set both access-key-id and secret-access-key, or neither");
        }
        if (config.accessKeyId().isPresent()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                    SecretReference.parse(config.accessKeyId().get()).resolve(),
                    SecretReference.parse(config.secretAccessKey().get()).resolve())));
        } else {
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        String replica = config.replica().or(() -> Optional.ofNullable(System.getenv("HOSTNAME")))
                .filter(name -> !name.isBlank())
                .orElseThrow(() -> new IllegalStateException("lanyard.audit.checkpoint-s3.replica is not set and there is"
                        + " no HOSTNAME: each replica needs a name of its own in the checkpoint objects' keys"));
        return new S3CheckpointSink(builder.build(), config.bucket(), config.prefix().orElse(DEFAULT_PREFIX), replica,
                config.retention(), clock);
    }

    /**
     * Refuses a bucket whose objects could be deleted: no Object Lock, or no retention at all.
     *
     * @throws IllegalStateException saying what to change
     */
    void requireObjectLock() {
        GetObjectLockConfigurationResponse lock;
        try {
            lock = s3.getObjectLockConfiguration(r -> r.bucket(bucket));
        } catch (S3Exception e) {
            throw new IllegalStateException("the audit checkpoint bucket " + bucket + " has no Object Lock configuration ("
                    + e.awsErrorDetails().errorCode() + "): checkpoints there could be deleted. Create it with Object Lock"
                    + " enabled (docs/audit-chain.md, \"Checkpoints\")");
        } catch (SdkException e) {
            throw new IllegalStateException("the audit checkpoint bucket " + bucket + " cannot be reached: " + e.getMessage());
        }
        var configuration = lock.objectLockConfiguration();
        if (configuration == null || configuration.objectLockEnabled() != ObjectLockEnabled.ENABLED) {
            throw new IllegalStateException("the audit checkpoint bucket " + bucket + " does not have Object Lock enabled:"
                    + " checkpoints there could be deleted");
        }
        boolean defaultRetention = configuration.rule() != null && configuration.rule().defaultRetention() != null;
        if (!defaultRetention && retention.isEmpty()) {
            throw new IllegalStateException("the audit checkpoint bucket " + bucket + " has no default retention and"
                    + " lanyard.audit.checkpoint-s3.retention is not set: checkpoints there could be deleted");
        }
    }

    /** The object one checkpoint is written to: its seq first, so keys sort by seq. */
    String key(Checkpoint checkpoint) {
        String at = CanonicalForm.timestamp(checkpoint.signedAt()).replace("-", "").replace(":", "").replace(".", "");
        return prefix + "%020d".formatted(checkpoint.seq()) + "-" + at + "-" + replica + ".json";
    }

    @Override
    public void publish(Checkpoint checkpoint) {
        PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(bucket).key(key(checkpoint))
                .contentType("application/json").ifNoneMatch("*");
        retention.ifPresent(keep -> put.objectLockMode(ObjectLockMode.COMPLIANCE).objectLockRetainUntilDate(
                clock.instant().plus(keep)));
        try {
            s3.putObject(put.build(), RequestBody.fromString(checkpoint.toJsonLine() + "\n", StandardCharsets.UTF_8));
        } catch (SdkException e) {
            throw new IllegalStateException("checkpoint could not be published to " + describe() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<Checkpoint> published(long fromSeq) {
        List<String> keys = new ArrayList<>();
        ListObjectsV2Request list = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix)
                .startAfter(prefix + "%020d".formatted(Math.max(0, fromSeq - 1)) + "-~").build();
        try {
            for (S3Object object : s3.listObjectsV2Paginator(list).contents()) {
                keys.add(object.key());
            }
        } catch (SdkException e) {
            throw new IllegalStateException("checkpoints cannot be listed in " + describe() + ": " + e.getMessage(), e);
        }
        Semaphore slots = new Semaphore(PARALLEL_READS);
        List<Future<Checkpoint>> reads = new ArrayList<>();
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (String key : keys) {
                reads.add(readers.submit(() -> {
                    slots.acquire();
                    try {
                        return Checkpoint.fromJsonLine(s3.getObjectAsBytes(r -> r.bucket(bucket).key(key))
                                .asString(StandardCharsets.UTF_8).strip());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalStateException("s3://" + bucket + "/" + key + " is not a checkpoint: " + e.getMessage());
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<Checkpoint> found = new ArrayList<>();
            for (Future<Checkpoint> read : reads) {
                found.add(read.get());
            }
            return found.stream().filter(c -> c.seq() >= fromSeq).toList();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading checkpoints from " + describe());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException state) {
                throw state;
            }
            if (cause instanceof UncheckedIOException || cause instanceof SdkException) {
                throw new IllegalStateException("checkpoints cannot be read from " + describe() + ": " + cause.getMessage(), cause);
            }
            throw new IllegalStateException("checkpoints cannot be read from " + describe(), cause);
        }
    }

    @Override
    public String describe() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** Pod names are already safe in a key; anything else is replaced, so a name can never add a path segment. */
    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
