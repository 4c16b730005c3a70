package dev.lanyard.audit.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.devstack.MotoServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockRetentionMode;
import software.amazon.awssdk.services.s3.model.ObjectVersion;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Checkpoints published to an S3 Object Lock bucket, against moto in server mode: one object per checkpoint and replica
 * (two replicas signing one head never write one object), read back by seq, and impossible to delete or overwrite; a
 * bucket where they could be deleted is refused at start-up.
 */
class S3CheckpointSinkIT {

    @TempDir
    static Path work;

    private static MotoServer moto;
    private static S3Client s3;
    private final CheckpointSigner signer = new CheckpointSigner(new byte[32]);
    private final InstantSource clock = InstantSource.fixed(Instant.parse("2026-12-08T10:00:00Z"));

    @BeforeAll
    static void startMoto() {
        moto = MotoServer.start(MotoServer.findBinary().orElseThrow(() -> new IllegalStateException(
                "moto_server is needed: '. scripts/peers.sh && lanyard_install_moto' installs it into .cache/venv")), work);
        s3 = S3Client.builder().httpClient(UrlConnectionHttpClient.create()).region(Region.of(MotoServer.REGION))
                .endpointOverride(moto.endpoint()).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
        s3.createBucket(r -> r.bucket("locked-checkpoints").objectLockEnabledForBucket(true));
        s3.putObjectLockConfiguration(r -> r.bucket("locked-checkpoints").objectLockConfiguration(c -> c
                .objectLockEnabled(ObjectLockEnabled.ENABLED)
                .rule(rule -> rule.defaultRetention(d -> d.mode(ObjectLockRetentionMode.COMPLIANCE).days(1)))));
        s3.createBucket(r -> r.bucket("locked-no-retention").objectLockEnabledForBucket(true));
        s3.createBucket(r -> r.bucket("plain-checkpoints"));
    }

    @AfterAll
    static void stopMoto() {
        if (s3 != null) {
            s3.close();
        }
        if (moto != null) {
            moto.stop();
        }
    }

    private S3CheckpointSink sink(String bucket, String replica, Optional<Duration> retention) {
        return new S3CheckpointSink(s3, bucket, "lanyard/checkpoints/", replica, retention, clock);
    }

    private Checkpoint checkpoint(long seq, Instant at) {
        byte[] hash = new byte[32];
        hash[0] = (byte) seq;
        return signer.sign(seq, hash, at);
    }

    @Test
    void aBucketWhoseCheckpointsCouldBeDeletedIsRefused() {
        assertThatThrownBy(() -> sink("plain-checkpoints", "lanyard-0", Optional.empty()).requireObjectLock())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no Object Lock");
        assertThatThrownBy(() -> sink("locked-no-retention", "lanyard-0", Optional.empty()).requireObjectLock())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no default retention");
        assertThatCode(() -> sink("locked-no-retention", "lanyard-0", Optional.of(Duration.ofDays(400))).requireObjectLock())
                .doesNotThrowAnyException();
        assertThatCode(() -> sink("locked-checkpoints", "lanyard-0", Optional.empty()).requireObjectLock())
                .doesNotThrowAnyException();
    }

    @Test
    void replicasWriteObjectsOfTheirOwnAndEveryoneReadsThemAllBySeq() {
        Instant at = Instant.parse("2026-12-08T10:00:01.000001Z");
        S3CheckpointSink first = sink("locked-checkpoints", "lanyard-7d9c-a", Optional.empty());
        S3CheckpointSink second = sink("locked-checkpoints", "lanyard-7d9c-b", Optional.empty());
        first.publish(checkpoint(41, at));
        first.publish(checkpoint(42, at));
        second.publish(checkpoint(42, at)); // the same head, signed by two replicas: two objects, neither lost
        second.publish(checkpoint(120, at));

        assertThat(first.published(0)).containsExactlyInAnyOrder(checkpoint(41, at), checkpoint(42, at), checkpoint(42, at),
                checkpoint(120, at));
        assertThat(second.published(42)).containsExactlyInAnyOrder(checkpoint(42, at), checkpoint(42, at), checkpoint(120, at));
        assertThat(first.published(121)).isEmpty();
        assertThat(first.key(checkpoint(42, at)))
                .isEqualTo("lanyard/checkpoints/00000000000000000042-20261208T100001000001Z-lanyard-7d9c-a.json");
    }

    @Test
    void aPublishedCheckpointCanNeitherBeOverwrittenNorDeleted() {
        Instant at = Instant.parse("2026-12-08T10:00:02Z");
        S3CheckpointSink sink = sink("locked-checkpoints", "lanyard-0", Optional.empty());
        Checkpoint published = checkpoint(7, at);
        sink.publish(published);
        assertThatThrownBy(() -> sink.publish(published)).as("written once").isInstanceOf(IllegalStateException.class);

        String key = sink.key(published);
        List<ObjectVersion> versions = s3.listObjectVersions(r -> r.bucket("locked-checkpoints").prefix(key)).versions();
        assertThat(versions).hasSize(1);
        assertThatThrownBy(() -> s3.deleteObject(r -> r.bucket("locked-checkpoints").key(key)
                .versionId(versions.getFirst().versionId())))
                .as("locked: not even the bucket's own account deletes it").isInstanceOf(S3Exception.class)
                .hasMessageContaining("Access Denied");
        assertThat(sink.published(7)).contains(published);
    }

    @Test
    void aReplicaNameCannotAddAPathSegment() {
        Checkpoint c = checkpoint(1, Instant.parse("2026-12-08T10:00:03Z"));
        assertThat(sink("locked-checkpoints", "../../other/x", Optional.empty()).key(c))
                .startsWith("lanyard/checkpoints/00000000000000000001-").endsWith("-.._.._other_x.json");
    }
}
