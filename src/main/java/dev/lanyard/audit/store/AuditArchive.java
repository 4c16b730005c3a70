package dev.lanyard.audit.store;

import dev.lanyard.audit.Result;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;
import dev.lanyard.audit.chain.OfflineVerifier;

import jakarta.enterprise.context.ApplicationScoped;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Retention, the service's half: writes a sealed segment of the log (first event up to a signed checkpoint) to the
 * archive directory, makes it durable, and proves it verifies before anyone may prune it. The service never deletes:
 * pruning is the schema owner's job ({@code java -jar quarkus-run.jar audit-prune}, {@link AuditPrune}), which checks
 * the segment again and then calls the database's {@code audit_prune}, which in turn requires the
 * {@code audit.archive} event this archive is recorded with. Blocking: run it on a virtual thread.
 */
@ApplicationScoped
public class AuditArchive {

    /** Where a segment went: its events and, beside it, the checkpoint that seals it. */
    public record Archived(Path segment, Path seal, long firstSeq, long upToSeq) {}

    private final AuditStore store;
    private final AuditCheckpoints checkpoints;
    private final AuditConfig config;

    AuditArchive(AuditStore store, AuditCheckpoints checkpoints, AuditConfig config) {
        this.store = store;
        this.checkpoints = checkpoints;
        this.config = config;
    }

    /** The target the archive's own audit event names; {@code audit_prune} looks for exactly this. */
    public static String target(long upToSeq) {
        return "archive/" + upToSeq;
    }

    /** The name of the file beside a segment that holds its sealing checkpoint. */
    static Path sealOf(Path segment) {
        String name = segment.getFileName().toString();
        return segment.resolveSibling(name.substring(0, name.length() - ".jsonl".length()) + ".checkpoint.json");
    }

    public Archived archive(long upToSeq) {
        Path directory = config.archiveDirectory()
                .orElseThrow(() -> new InvalidAuditRequestException("archiving needs lanyard.audit.archive-directory"));
        long head = store.head().map(AuditStore.Link::seq).orElse(0L);
        if (upToSeq >= head) {
            throw new InvalidAuditRequestException("up_to_seq must be below the head (" + head
                    + "): the log is never emptied, so its chain never restarts");
        }
        long first = store.firstSeq().orElse(1L);
        if (upToSeq < first) {
            throw new InvalidAuditRequestException("events up to " + upToSeq + " were already pruned");
        }
        byte[] publicKey = checkpoints.publicKey();
        byte[] stored = store.hashAt(upToSeq).orElseThrow();
        List<Checkpoint> known = checkpoints.all();
        Checkpoint seal = known.stream()
                .filter(c -> c.seq() == upToSeq && CheckpointSigner.verify(c, publicKey) && MessageDigest.isEqual(c.hash(), stored))
                .findFirst()
                .orElseThrow(() -> new InvalidAuditRequestException(
                        "no signed checkpoint at " + upToSeq + ": only sealed segments can be archived"));
        Optional<Checkpoint> anchor = first == 1 ? Optional.empty() : known.stream()
                .filter(c -> c.seq() == first - 1 && CheckpointSigner.verify(c, publicKey)).findFirst();
        if (first > 1 && anchor.isEmpty()) {
            throw new InvalidAuditRequestException("no signed checkpoint anchors the first stored event " + first);
        }

        Path segment = directory.resolve("audit-" + first + "-" + upToSeq + ".jsonl");
        Path sealFile = sealOf(segment);
        try {
            Files.createDirectories(directory);
            writeDurably(segment, writer -> store.export(AuditQuery.range(first - 1, upToSeq), event -> line(writer, event.toJsonLine())));
            writeDurably(sealFile, writer -> line(writer, seal.toJsonLine()));
            fsyncDirectory(directory);
        } catch (FileAlreadyExistsException e) {
            throw new InvalidAuditRequestException("a segment " + segment.getFileName()
                    + " already exists: archives are never overwritten");
        } catch (IOException e) {
            throw new UncheckedIOException("archive segment could not be written", e);
        }

        List<Checkpoint> evidence = new ArrayList<>(List.of(seal));
        anchor.ifPresent(evidence::add);
        ChainVerifier.Result result = verifySegment(segment, evidence, publicKey);
        if (!result.valid() || result.verifiedUpTo() != upToSeq) {
            deleteQuietly(segment);
            deleteQuietly(sealFile);
            throw new IllegalStateException("the archived segment does not verify: " + result.summary());
        }
        return new Archived(segment, sealFile, first, upToSeq);
    }

    /** Reads a segment back as an auditor would, offline, from its anchor to its seal. */
    static ChainVerifier.Result verifySegment(Path segment, List<Checkpoint> checkpoints, byte[] publicKey) {
        try (OfflineVerifier.ExportLines events = new OfflineVerifier.ExportLines(Files.newBufferedReader(segment, StandardCharsets.UTF_8))) {
            return OfflineVerifier.verify(events, publicKey, checkpoints, ChainVerifier.Scope.EXCERPT);
        } catch (IOException e) {
            throw new UncheckedIOException("archive segment could not be read back", e);
        }
    }

    @FunctionalInterface
    private interface Content {
        void writeTo(BufferedWriter writer) throws IOException;
    }

    /** Creates the file (never replacing one), writes it and forces it to disk before returning. */
    private static void writeDurably(Path file, Content content) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            BufferedWriter writer = new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8));
            content.writeTo(writer);
            writer.flush();
            channel.force(true);
        }
    }

    private static void line(BufferedWriter writer, String line) {
        try {
            writer.write(line);
            writer.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Makes the new directory entries durable too, where the platform allows opening a directory. */
    private static void fsyncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not every filesystem lets a directory be opened; the files themselves are forced already.
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // left for the operator; the next archive refuses to overwrite it, which is the safe direction
        }
    }
}
