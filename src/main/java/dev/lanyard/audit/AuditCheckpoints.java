package dev.lanyard.audit;

import dev.lanyard.support.SecretReference;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Signs the chain head with Ed25519 at an interval and on shutdown, stores the checkpoint and appends it to the
 * checkpoint file outside the database (docs/audit-chain.md).
 */
@ApplicationScoped
public class AuditCheckpoints {

    private static final Logger LOG = Logger.getLogger(AuditCheckpoints.class);

    private final Pool pool;
    private final AuditConfig config;
    private final InstantSource clock;
    private final CheckpointSigner signer;

    AuditCheckpoints(Pool pool, AuditConfig config, InstantSource clock) {
        this.pool = pool;
        this.config = config;
        this.clock = clock;
        this.signer = CheckpointSigner.fromBase64Seed(SecretReference.parse(config.signingKey()).resolve());
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

    void onShutdown(@Observes ShutdownEvent ignored) {
        try {
            VertxContextSupport.subscribeAndAwait(this::checkpoint);
        } catch (Throwable failure) {
            LOG.warnf("final audit checkpoint failed: %s", failure.getMessage());
        }
    }

    /** Signs the current head unless it is already signed; returns the newest checkpoint, if there is one. */
    public Uni<Optional<Checkpoint>> checkpoint() {
        return pool.withTransaction(connection -> connection
                .query("select pg_advisory_xact_lock(" + AuditChainWriter.CHAIN_LOCK + ")").execute()
                .chain(() -> connection.query("select seq, hash from audit_event where seq = (select max(seq) from audit_event)").execute())
                .chain(head -> {
                    if (!head.iterator().hasNext()) {
                        return Uni.createFrom().item(Optional.<Checkpoint>empty());
                    }
                    Row row = head.iterator().next();
                    long seq = row.getLong("seq");
                    byte[] hash = row.getBuffer("hash").getBytes();
                    return connection.preparedQuery("select 1 from audit_checkpoint where seq = $1").execute(Tuple.of(seq))
                            .chain(existing -> {
                                if (existing.iterator().hasNext()) {
                                    return Uni.createFrom().item(Optional.<Checkpoint>empty());
                                }
                                Checkpoint signed = signer.sign(seq, hash, CanonicalForm.truncate(clock.instant()));
                                return connection.preparedQuery("insert into audit_checkpoint (seq, hash, signed_at, key_id, signature) "
                                                + "values ($1, $2, $3, $4, $5)")
                                        .execute(Tuple.of(signed.seq(), Buffer.buffer(signed.hash()),
                                                signed.signedAt().atOffset(ZoneOffset.UTC), signed.keyId(), Buffer.buffer(signed.signature())))
                                        .invoke(() -> publish(signed))
                                        .map(ignored -> Optional.of(signed));
                            });
                }));
    }

    /** Checkpoints known to the database and to the external file, oldest first. */
    public Uni<List<Checkpoint>> all() {
        return pool.query("select seq, hash, signed_at, key_id, signature from audit_checkpoint order by seq").execute()
                .map(rows -> {
                    List<Checkpoint> found = new ArrayList<>();
                    rows.forEach(row -> found.add(new Checkpoint(row.getLong("seq"), row.getBuffer("hash").getBytes(),
                            row.getOffsetDateTime("signed_at").toInstant(), row.getString("key_id"),
                            row.getBuffer("signature").getBytes())));
                    found.addAll(published());
                    return found;
                });
    }

    /** What the external file holds; the database cannot vouch for itself. */
    public List<Checkpoint> published() {
        Optional<Path> file = config.checkpointFile();
        if (file.isEmpty() || !Files.exists(file.get())) {
            return List.of();
        }
        try {
            return Files.readAllLines(file.get(), StandardCharsets.UTF_8).stream()
                    .filter(line -> !line.isBlank()).map(Checkpoint::fromJsonLine).toList();
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
                Files.writeString(file, checkpoint.toJsonLine() + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.SYNC);
            } catch (IOException e) {
                throw new IllegalStateException("checkpoint could not be published to " + file, e);
            }
        });
    }
}
