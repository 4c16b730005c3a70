package dev.lanyard.audit.store;

import dev.lanyard.audit.Result;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointFile;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.OfflineVerifier;
import dev.lanyard.database.PostgresTls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.Config;

/**
 * Retention, the owner's half: {@code java -jar quarkus-run.jar audit-prune <segment.jsonl> <public-key-file>}, run
 * with the schema owner's connection ({@code lanyard.owner.*}, TLS as every connection to Lanyard's database:
 * {@link PostgresTls}), never by the service. It checks the archived segment
 * offline (its chain, its anchor, the Ed25519 signature of the checkpoint that seals it), checks that the database
 * still holds exactly that chain at the seal, and only then calls {@code audit_prune}, which itself refuses anything
 * but an archived, sealed segment below the head.
 */
public final class AuditPrune {

    private AuditPrune() {}

    /** What was removed. */
    public record Pruned(long upToSeq, long removed) {}

    public static Pruned run(Config config, Path segment, Path publicKeyFile) throws IOException, SQLException {
        try (Connection owner = PostgresTls.from(config).ownerJdbc(config, "lanyard-audit-prune").getConnection()) {
            return prune(owner, segment, OfflineVerifier.readPublicKey(publicKeyFile));
        }
    }

    public static Pruned prune(Connection owner, Path segment, byte[] publicKey) throws IOException, SQLException {
        Path sealFile = AuditArchive.sealOf(segment);
        if (!Files.exists(segment) || !Files.exists(sealFile)) {
            throw new IllegalArgumentException("need the segment and its " + sealFile.getFileName() + " beside it");
        }
        List<Checkpoint> sealed = CheckpointFile.read(sealFile);
        if (sealed.size() != 1 || !CheckpointSigner.verify(sealed.getFirst(), publicKey)) {
            throw new IllegalArgumentException(sealFile + " does not hold one checkpoint signed by this key");
        }
        Checkpoint seal = sealed.getFirst();
        List<Checkpoint> evidence = new ArrayList<>(List.of(seal));
        long first = firstSeq(segment);
        if (first > 1) {
            Checkpoint anchor = checkpointAt(owner, first - 1);
            if (anchor == null || !CheckpointSigner.verify(anchor, publicKey)) {
                throw new IllegalArgumentException("no signed checkpoint anchors the segment's first event " + first);
            }
            evidence.add(anchor);
        }
        ChainVerifier.Result result = AuditArchive.verifySegment(segment, evidence, publicKey);
        if (!result.valid() || result.verifiedUpTo() != seal.seq()) {
            throw new IllegalArgumentException("the segment does not verify up to its seal: " + result.summary());
        }
        if (!MessageDigest.isEqual(hashAt(owner, seal.seq()), seal.hash())) {
            throw new IllegalArgumentException("the database no longer holds the sealed chain at seq " + seal.seq());
        }
        try (PreparedStatement prune = owner.prepareStatement("select audit_prune(?)")) {
            prune.setLong(1, seal.seq());
            try (ResultSet rows = prune.executeQuery()) {
                rows.next();
                return new Pruned(seal.seq(), rows.getLong(1));
            }
        }
    }

    private static long firstSeq(Path segment) throws IOException {
        try (OfflineVerifier.ExportLines events = new OfflineVerifier.ExportLines(Files.newBufferedReader(segment))) {
            Long first = events.peekSeq();
            if (first == null) {
                throw new IllegalArgumentException(segment + " holds no event");
            }
            return first;
        }
    }

    private static Checkpoint checkpointAt(Connection connection, long seq) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "select seq, hash, signed_at, key_id, signature from audit_checkpoint where seq = ?")) {
            statement.setLong(1, seq);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? new Checkpoint(rows.getLong(1), rows.getBytes(2),
                        rows.getObject(3, OffsetDateTime.class).toInstant(), rows.getString(4), rows.getBytes(5)) : null;
            }
        }
    }

    private static byte[] hashAt(Connection connection, long seq) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select hash from audit_event where seq = ?")) {
            statement.setLong(1, seq);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getBytes(1) : new byte[0];
            }
        }
    }
}
