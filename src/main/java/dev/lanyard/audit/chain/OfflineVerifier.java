package dev.lanyard.audit.chain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Verifies an audit export without Lanyard or its database: {@code scripts/audit-verify.sh [--whole-log] EXPORT
 * PUBLIC_KEY CHECKPOINTS}. Needs only this package, Jackson and BouncyCastle on the class path.
 *
 * <p>An export (or an archived segment) is checked for what it holds: checkpoints signed after its last event are
 * reported as not covered, not as a break. With {@code --whole-log} the export claims to be the whole log up to now,
 * so a signed checkpoint past its end means events were cut off.
 *
 * <p>Prints {@link ChainVerifier.Result#summary()} and exits 0 when the export is valid, 1 when it is not, 2 when it
 * could not be checked (usage, unreadable file, malformed key or checkpoint file).
 */
public final class OfflineVerifier {

    static final int VALID = 0;
    static final int INVALID = 1;
    static final int ERROR = 2;

    private static final String USAGE = "usage: audit-verify [--whole-log] <export.jsonl> <public-key-file> <checkpoints.jsonl>";

    private OfflineVerifier() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] arguments, PrintStream out, PrintStream err) {
        ChainVerifier.Scope scope = ChainVerifier.Scope.EXCERPT;
        String[] args = arguments;
        if (args.length > 0 && args[0].equals("--whole-log")) {
            scope = ChainVerifier.Scope.WHOLE_LOG;
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        if (args.length != 3) {
            err.println(USAGE);
            return ERROR;
        }
        Path export = Path.of(args[0]);
        byte[] publicKey;
        List<Checkpoint> checkpoints;
        try {
            publicKey = readPublicKey(Path.of(args[1]));
            checkpoints = readCheckpoints(Path.of(args[2]));
        } catch (IOException e) {
            err.println("audit-verify: cannot read " + describe(e));
            return ERROR;
        } catch (IllegalArgumentException e) {
            err.println("audit-verify: " + e.getMessage());
            return ERROR;
        }
        try (ExportLines events = new ExportLines(Files.newBufferedReader(export, StandardCharsets.UTF_8))) {
            ChainVerifier.Result result = verify(events, publicKey, checkpoints, scope);
            out.println(result.summary());
            return result.valid() ? VALID : INVALID;
        } catch (IOException e) {
            err.println("audit-verify: cannot read " + describe(e));
            return ERROR;
        } catch (UncheckedIOException e) {
            err.println("audit-verify: cannot read " + export + ": " + describe(e.getCause()));
            return ERROR;
        }
    }

    private static String describe(IOException e) {
        return e instanceof NoSuchFileException ? e.getMessage() + ": no such file" : e.toString();
    }

    /**
     * Anchors at genesis when the export starts at seq 1 (or is empty), else at a validly signed checkpoint for the
     * seq just before the first exported one: what retention pruned.
     */
    /**
     * Verifies what {@code events} holds, anchored at genesis or at the validly signed checkpoint just before its first
     * event; {@code scope} says whether it claims to be the whole log.
     */
    public static ChainVerifier.Result verify(ExportLines events, byte[] publicKey, List<Checkpoint> checkpoints,
                                              ChainVerifier.Scope scope) {
        ChainVerifier verifier = new ChainVerifier();
        Long firstSeq = events.peekSeq();
        if (firstSeq == null || firstSeq <= 1) {
            return verifier.verify(events, CanonicalForm.GENESIS, 0, checkpoints, publicKey, scope);
        }
        long anchorSeq = firstSeq - 1;
        for (Checkpoint checkpoint : checkpoints) {
            if (checkpoint.seq() == anchorSeq && CheckpointSigner.verify(checkpoint, publicKey)) {
                return verifier.verify(events, checkpoint.hash(), anchorSeq, checkpoints, publicKey, scope);
            }
        }
        Checkpoint newest = null;
        for (Checkpoint checkpoint : checkpoints) {
            if ((newest == null || checkpoint.seq() > newest.seq()) && CheckpointSigner.verify(checkpoint, publicKey)) {
                newest = checkpoint;
            }
        }
        return new ChainVerifier.Result(false, 0, firstSeq, "no signed anchor for the first exported event"
                + " (no validly signed checkpoint at " + anchorSeq + ")", newest, null);
    }

    /** Reads a public key file: the raw 32-byte Ed25519 key in base64. */
    public static byte[] readPublicKey(Path file) throws IOException {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + " does not hold a base64 public key");
        }
        if (key.length != 32) {
            throw new IllegalArgumentException(file + " holds " + key.length + " bytes, an Ed25519 public key is 32");
        }
        return key;
    }

    static List<Checkpoint> readCheckpoints(Path file) throws IOException {
        return CheckpointFile.read(file);
    }

    /**
     * The export, read one line at a time. A line that is not an event becomes a
     * {@link ChainVerifier.MalformedEventException}; blank lines are skipped. Iterable once.
     */
    public static final class ExportLines implements Iterable<ChainedEvent>, Iterator<ChainedEvent>, AutoCloseable {

        private final BufferedReader reader;
        private int lineNumber;
        private ChainedEvent next;
        private RuntimeException nextFailure;
        private boolean done;

        public ExportLines(BufferedReader reader) {
            this.reader = reader;
        }

        /** The seq of the next event without consuming it; {@code null} if there is none or it is unreadable. */
        public Long peekSeq() {
            return hasNext() && nextFailure == null ? next.seq() : null;
        }

        @Override
        public Iterator<ChainedEvent> iterator() {
            return this;
        }

        @Override
        public boolean hasNext() {
            if (next != null || nextFailure != null) {
                return true;
            }
            if (done) {
                return false;
            }
            String line;
            try {
                do {
                    line = reader.readLine();
                    lineNumber++;
                } while (line != null && line.isBlank());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (line == null) {
                done = true;
                return false;
            }
            try {
                next = ChainedEvent.fromJsonLine(line);
            } catch (IllegalArgumentException | NullPointerException e) {
                nextFailure = new ChainVerifier.MalformedEventException(
                        "malformed export line " + lineNumber + ": " + e.getMessage());
            }
            return true;
        }

        @Override
        public ChainedEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (nextFailure != null) {
                RuntimeException failure = nextFailure;
                nextFailure = null;
                throw failure;
            }
            ChainedEvent event = next;
            next = null;
            return event;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }
}
