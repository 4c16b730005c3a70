package dev.lanyard.audit.store;

import dev.lanyard.audit.Result;
import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointFile;
import dev.lanyard.audit.chain.CheckpointSigner;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Signs the chain head with Ed25519 at an interval and on shutdown, records the checkpoint in the database and
 * appends it to the checkpoint file outside it (docs/audit-chain.md).
 *
 * <p>A head is signed only after the chain up to it has been verified from the newest valid checkpoint: a
 * checkpoint vouches for what was written, never for a row slipped in behind the writer. None of this holds the
 * chain lock, so writers never wait for it; the file is written after the database has recorded the checkpoint,
 * on a virtual thread, never on the event loop.
 */
@ApplicationScoped
@Startup // its gauge is exported from the start, not from the first use
public class AuditCheckpoints {

    private static final Logger LOG = Logger.getLogger(AuditCheckpoints.class);

    private final AuditStore store;
    private final AuditConfig config;
    private final InstantSource clock;
    private final CheckpointSigner signer;
    private final AuditChainWriter writer;
    /** When the head was last known signed (a checkpoint made, or the head found already signed); start-up before. */
    private volatile Instant signedUpTo;
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("audit-checkpoint-", 0).factory());

    AuditCheckpoints(AuditStore store, AuditConfig config, InstantSource clock, CheckpointSigner signer,
                     AuditChainWriter writer, MeterRegistry meters) {
        this.store = store;
        this.writer = writer;
        this.signedUpTo = clock.instant();
        TimeGauge.builder("lanyard.audit.checkpoint.age", this, TimeUnit.SECONDS,
                        checkpoints -> Duration.between(checkpoints.signedUpTo, checkpoints.clock.instant()).toMillis() / 1000.0)
                .description("time since this replica last saw the audit head signed; grows while checkpoints fail")
                .register(meters);
        this.config = config;
        this.clock = clock;
        this.signer = signer;
    }

    public byte[] publicKey() {
        return signer.publicKey();
    }

    public String keyId() {
        return signer.keyId();
    }

    @Scheduled(every = "${lanyard.audit.checkpoint-interval:1m}", delayed = "${lanyard.audit.checkpoint-interval:1m}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> periodically() {
        return checkpoint().replaceWithVoid()
                .onFailure().invoke(failure -> LOG.warnf("audit checkpoint failed: %s", failure.getMessage()))
                .onFailure().recoverWithNull();
    }

    /**
     * After the HTTP drain (requests in flight have had their answers, so their events are committed): lets what is still
     * queued (background work) commit, then signs the head and publishes it, so the last checkpoint covers the last event.
     */
    void onShutdown(@Observes ShutdownEvent ignored) {
        if (!writer.awaitQueued(config.appendTimeout())) {
            LOG.warnf("audit events still queued after %s at shutdown; the final checkpoint may not cover them",
                    config.appendTimeout());
        }
        try {
            signHead().ifPresent(signed -> LOG.infof("final audit checkpoint signed and published at seq %d", signed.seq()));
        } catch (RuntimeException failure) {
            LOG.warnf("final audit checkpoint failed: %s", failure.getMessage());
        }
    }

    /** Signs the current head unless it is already signed; returns the new checkpoint, if one was made. */
    public Uni<Optional<Checkpoint>> checkpoint() {
        return Uni.createFrom().item(this::signHead).runSubscriptionOn(work);
    }

    private Optional<Checkpoint> signHead() {
        Optional<AuditStore.Link> head = store.head();
        if (head.isEmpty()) {
            signedUpTo = clock.instant(); // nothing to sign
            return Optional.empty();
        }
        long seq = head.get().seq();
        Instant now = clock.instant();
        List<Checkpoint> recorded = store.checkpoints();
        if (recorded.stream().anyMatch(c -> c.seq() == seq)) {
            signedUpTo = now;
            return Optional.empty();
        }
        verifyUpTo(seq, recorded);
        Checkpoint signed = signer.sign(seq, head.get().hash(), CanonicalForm.truncate(clock.instant()));
        if (!store.recordCheckpoint(signed)) {
            signedUpTo = now;
            return Optional.empty(); // another replica signed this head first
        }
        publish(signed);
        signedUpTo = now;
        return Optional.of(signed);
    }

    /** Walks the chain from the newest validly signed checkpoint below {@code seq} (or genesis) up to it. */
    private void verifyUpTo(long seq, List<Checkpoint> recorded) {
        Optional<Checkpoint> anchor = recorded.stream()
                .filter(c -> c.seq() < seq && CheckpointSigner.verify(c, signer.publicKey()))
                .max(Comparator.comparingLong(Checkpoint::seq));
        long first = store.firstSeq().orElse(1L);
        long anchorSeq = anchor.map(Checkpoint::seq).orElse(0L);
        if (anchor.isEmpty() && first > 1) {
            throw new IllegalStateException("the audit log starts at seq " + first + " with no signed checkpoint before it");
        }
        ChainVerifier.Result result = store.verify(anchorSeq, anchor.map(Checkpoint::hash).orElse(CanonicalForm.GENESIS),
                Optional.of(seq), anchor.map(List::of).orElse(List.of()), signer.publicKey(), ChainVerifier.Scope.WHOLE_LOG);
        if (!result.valid() || result.verifiedUpTo() != seq) {
            throw new IllegalStateException("not signing the audit head at seq " + seq + ": " + result.summary());
        }
    }

    /** Checkpoints known to the database and to the external file, oldest first. */
    public List<Checkpoint> all() {
        List<Checkpoint> found = new ArrayList<>(store.checkpoints());
        found.addAll(published());
        return found;
    }

    /**
     * What the external file holds; the database cannot vouch for itself. A torn last line (a crash while appending)
     * is skipped; a malformed line before the last one is an error.
     */
    public List<Checkpoint> published() {
        Optional<Path> file = config.checkpointFile();
        if (file.isEmpty() || !Files.exists(file.get())) {
            return List.of();
        }
        try {
            return CheckpointFile.read(file.get());
        } catch (IOException e) {
            throw new IllegalStateException("checkpoint file cannot be read", e);
        }
    }

    private void publish(Checkpoint checkpoint) {
        config.checkpointFile().ifPresent(file -> {
            try {
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
                    channel.write(ByteBuffer.wrap((checkpoint.toJsonLine() + "\n").getBytes(StandardCharsets.UTF_8)));
                    channel.force(true);
                }
            } catch (IOException e) {
                throw new IllegalStateException("checkpoint could not be published to " + file, e);
            }
        });
    }
}
