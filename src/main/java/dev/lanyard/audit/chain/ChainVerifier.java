package dev.lanyard.audit.chain;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Recomputes the audit chain from an anchor and checks it against the signed checkpoints (docs/audit-chain.md,
 * "Verifying"). Streams: only the checkpoints are held in memory, the events are read once, in order.
 *
 * <p>What it reports, by the first sequence number at which the log stops being provably what was written:
 * <ul>
 *   <li>{@code sequence gap: expected N, found M} — a row is missing;</li>
 *   <li>{@code out of order: expected N, found M} — a duplicate, a decrease, or a row that appears later than its
 *       place (the rest of the export is scanned, seq numbers only, to tell that from a gap);</li>
 *   <li>{@code hash mismatch} — the row at that seq, or its predecessor link, was changed;</li>
 *   <li>{@code checkpoint at N does not match the log} — the log was changed at or before N and re-chained;
 *       {@code verifiedUpTo} is then the newest earlier checkpoint (or the anchor) that did match;</li>
 *   <li>{@code log ends at M but a checkpoint signed at T covers N} — the tail was cut off or the log rolled back;</li>
 *   <li>{@code checkpoint at N: bad signature} — the checkpoint file holds something the key did not sign;</li>
 *   <li>{@code seq N to M carry no writer seal: not written by Lanyard} — rows of format 3 that no batch seal covers:
 *       someone with the database's credentials inserted them (the chain is public, so their hashes may be right);</li>
 *   <li>{@code the writer seal at M does not verify} or {@code … claims seq F to M, but its batch starts at N} — a seal
 *       the key did not make for these rows;</li>
 *   <li>{@code a format 2 row after sealed rows} — a row in the old, unsealed format where only sealed rows may be.</li>
 * </ul>
 *
 * <p>Rows of format 2 (written before seals existed) are accepted as chained only, and only before the first format 3
 * row; a valid result says up to where ({@link Result#legacyUpTo()}).
 */
public final class ChainVerifier {

    /**
     * Thrown by an event source whose next event cannot be read (a malformed export line). The verifier reports it
     * as a break at the seq it expected next.
     */
    public static final class MalformedEventException extends RuntimeException {
        public MalformedEventException(String message) {
            super(message, null, false, false);
        }
    }

    /** What the events handed to the verifier are meant to be. */
    public enum Scope {
        /** The whole log as it stands: a signed checkpoint past its end means rows were cut off or rolled back. */
        WHOLE_LOG,
        /**
         * An excerpt (an export, an archived segment, a range): it is checked for what it holds, and checkpoints past
         * its end are reported as not covered rather than as a break.
         */
        EXCERPT
    }

    /**
     * @param valid             whether the events verified (for {@link Scope#EXCERPT}: as far as they go)
     * @param verifiedUpTo      the last seq proven good (the anchor seq if none): chained, checkpoint-consistent, and
     *                          sealed by a writer or written before seals (format 2)
     * @param firstBadSeq       the first seq that is not, {@code null} when valid
     * @param reason            why, {@code null} when valid
     * @param newestCheckpoint  the newest validly signed checkpoint the events reach, if any
     * @param beyond            for an excerpt, the newest validly signed checkpoint past its end, if any: the events
     *                          after {@code verifiedUpTo} up to it are not in the excerpt
     * @param legacyUpTo        the last format 2 row verified (written before writer seals: chained, not sealed), if any
     * @param notes             what else an auditor should know that does not make the events invalid (checkpoint rows
     *                          in the database that nobody with the key signed, say)
     */
    public record Result(boolean valid, long verifiedUpTo, Long firstBadSeq, String reason, Checkpoint newestCheckpoint,
                         Checkpoint beyond, Long legacyUpTo, List<String> notes) {

        public Result {
            notes = List.copyOf(notes);
        }

        public Result(boolean valid, long verifiedUpTo, Long firstBadSeq, String reason, Checkpoint newestCheckpoint,
                      Checkpoint beyond) {
            this(valid, verifiedUpTo, firstBadSeq, reason, newestCheckpoint, beyond, null, List.of());
        }

        /** The same result with one more note. */
        public Result withNote(String note) {
            List<String> more = new ArrayList<>(notes);
            more.add(note);
            return new Result(valid, verifiedUpTo, firstBadSeq, reason, newestCheckpoint, beyond, legacyUpTo, more);
        }

        public String summary() {
            if (!valid) {
                return "broken at seq " + firstBadSeq + ": " + reason;
            }
            String summary;
            if (newestCheckpoint == null) {
                summary = "valid up to " + verifiedUpTo + ", no signed checkpoint covers it";
            } else {
                summary = "valid up to " + verifiedUpTo + ", signed at " + CanonicalForm.timestamp(newestCheckpoint.signedAt());
                if (newestCheckpoint.seq() != verifiedUpTo) {
                    summary += " up to seq " + newestCheckpoint.seq();
                }
            }
            if (beyond != null) {
                summary += "; not covered: seq " + (verifiedUpTo + 1) + " to " + beyond.seq()
                        + " (checkpoint signed at " + CanonicalForm.timestamp(beyond.signedAt()) + ") are beyond these events";
            }
            if (legacyUpTo != null) {
                summary += "; up to seq " + legacyUpTo + " written before writer seals (format 2): chained, not sealed";
            }
            for (String note : notes) {
                summary += "; " + note;
            }
            return summary;
        }
    }

    private static final Comparator<Checkpoint> NEWEST_LAST =
            Comparator.comparingLong(Checkpoint::seq).thenComparing(Checkpoint::signedAt);

    /**
     * @param eventsInSeqOrder the log, or what remains of it after pruning, in ascending seq order
     * @param anchorHash       {@link CanonicalForm#GENESIS} for a whole log, else the hash of the checkpoint at
     *                         {@code anchorSeq}, the last pruned seq
     * @param anchorSeq        0 for a whole log
     * @param checkpoints      every checkpoint from the checkpoint file, any order
     * @param publicKey        the raw 32-byte Ed25519 key
     */
    public Result verify(Iterable<ChainedEvent> eventsInSeqOrder, byte[] anchorHash, long anchorSeq,
            List<Checkpoint> checkpoints, byte[] publicKey) {
        return verify(eventsInSeqOrder, anchorHash, anchorSeq, checkpoints, publicKey, Scope.WHOLE_LOG);
    }

    /** As {@link #verify(Iterable, byte[], long, List, byte[])}, for events that are {@code scope}. */
    public Result verify(Iterable<ChainedEvent> eventsInSeqOrder, byte[] anchorHash, long anchorSeq,
            List<Checkpoint> checkpoints, byte[] publicKey, Scope scope) {
        Objects.requireNonNull(anchorHash, "anchorHash");
        if (anchorHash.length != 32) {
            throw new IllegalArgumentException("anchor hash must be 32 bytes");
        }

        // Signatures first: only signed checkpoints say anything about the log.
        Checkpoint badlySigned = null;
        Checkpoint newest = null;
        TreeMap<Long, List<Checkpoint>> bySeq = new TreeMap<>();
        for (Checkpoint checkpoint : checkpoints) {
            if (!CheckpointSigner.verify(checkpoint, publicKey)) {
                if (badlySigned == null || checkpoint.seq() < badlySigned.seq()) {
                    badlySigned = checkpoint;
                }
                continue;
            }
            bySeq.computeIfAbsent(checkpoint.seq(), seq -> new ArrayList<>()).add(checkpoint);
            if (newest == null || NEWEST_LAST.compare(checkpoint, newest) > 0) {
                newest = checkpoint;
            }
        }

        Result chain = walk(eventsInSeqOrder.iterator(), anchorHash, anchorSeq, bySeq, newest, scope, publicKey);
        if (badlySigned != null && (chain.valid() || badlySigned.seq() < chain.firstBadSeq())) {
            String reason = "checkpoint at " + badlySigned.seq() + ": bad signature";
            String expectedKeyId = CheckpointSigner.keyId(publicKey);
            if (!badlySigned.keyId().equals(expectedKeyId)) {
                reason += " (its key id is " + badlySigned.keyId() + ", the public key's is " + expectedKeyId + ")";
            }
            return new Result(false, Math.min(chain.verifiedUpTo(), badlySigned.seq() - 1), badlySigned.seq(), reason,
                    newest, null);
        }
        return chain;
    }

    private static Result walk(Iterator<ChainedEvent> events, byte[] anchorHash, long anchorSeq,
            TreeMap<Long, List<Checkpoint>> checkpoints, Checkpoint newest, Scope scope, byte[] publicKey) {
        // lastGood: the last row whose link verified. verified: the last row also proven written by Lanyard (its batch
        // sealed, or written before seals). openBatch: the first of the format 3 rows after it that no seal covers yet.
        long lastGood = anchorSeq;
        long verified = anchorSeq;
        long openBatch = 0;
        Long legacyUpTo = null;
        boolean sealedRowsSeen = false;
        long lastMatchedCheckpoint = anchorSeq;
        byte[] previous = anchorHash;
        // Checkpoints below the anchor were pruned with their rows; the one at the anchor must agree with it.
        if (!matches(checkpoints, anchorSeq, anchorHash)) {
            return broken(anchorSeq, anchorSeq + 1, "checkpoint at " + anchorSeq + " does not match the log", newest);
        }
        while (true) {
            long expected = lastGood + 1;
            ChainedEvent event;
            try {
                if (!events.hasNext()) {
                    break;
                }
                event = events.next();
            } catch (MalformedEventException e) {
                return broken(verified, expected, e.getMessage(), newest);
            }
            if (event.seq() != expected) {
                String kind = event.seq() < expected || appearsLater(events, expected) ? "out of order" : "sequence gap";
                return broken(verified, expected, kind + ": expected " + expected + ", found " + event.seq(), newest);
            }
            byte[] stored = event.hash();
            if (stored == null || !MessageDigest.isEqual(event.chainedAfter(previous), stored)) {
                return broken(verified, expected, "hash mismatch", newest);
            }
            if (!matches(checkpoints, expected, stored)) {
                return broken(Math.min(lastMatchedCheckpoint, verified), expected,
                        "checkpoint at " + expected + " does not match the log", newest);
            }
            if (checkpoints.containsKey(expected)) {
                lastMatchedCheckpoint = expected;
            }
            previous = stored;
            lastGood = expected;
            if (event.format() == CanonicalForm.LEGACY_FORMAT) {
                if (sealedRowsSeen) {
                    return broken(verified, expected, "a format 2 row after sealed rows: not written by Lanyard", newest);
                }
                verified = expected;
                legacyUpTo = expected;
                continue;
            }
            sealedRowsSeen = true;
            if (openBatch == 0) {
                openBatch = expected;
            }
            Seal seal = event.seal();
            if (seal == null) {
                continue;
            }
            // The batch may have begun before the anchor when a range starts inside it; never anywhere else.
            boolean startsRight = seal.firstSeq() == openBatch || openBatch == anchorSeq + 1 && seal.firstSeq() < openBatch;
            if (seal.firstSeq() > openBatch) {
                return broken(verified, openBatch, unsealed(openBatch, seal.firstSeq() - 1), newest);
            }
            if (!startsRight) {
                return broken(verified, openBatch, "the writer seal at " + expected + " claims seq " + seal.firstSeq()
                        + " to " + expected + ", but its batch starts at " + openBatch, newest);
            }
            if (!CheckpointSigner.verify(seal, expected, stored, publicKey)) {
                String reason = "the writer seal at " + expected + " does not verify";
                String expectedKeyId = CheckpointSigner.keyId(publicKey);
                if (!seal.keyId().equals(expectedKeyId)) {
                    reason += " (its key id is " + seal.keyId() + ", the public key's is " + expectedKeyId + ")";
                }
                return broken(verified, openBatch, reason, newest);
            }
            verified = expected;
            openBatch = 0;
        }
        if (openBatch != 0) {
            return broken(verified, openBatch, unsealed(openBatch, lastGood), newest);
        }
        if (newest != null && newest.seq() > lastGood) {
            if (scope == Scope.WHOLE_LOG) {
                return broken(lastGood, lastGood + 1, "log ends at " + lastGood + " but a checkpoint signed at "
                        + CanonicalForm.timestamp(newest.signedAt()) + " covers " + newest.seq(), newest);
            }
            Map.Entry<Long, List<Checkpoint>> covered = checkpoints.floorEntry(lastGood);
            Checkpoint reached = covered == null ? null
                    : covered.getValue().stream().max(NEWEST_LAST).orElseThrow();
            return new Result(true, lastGood, null, null, reached, newest, legacyUpTo, List.of());
        }
        return new Result(true, lastGood, null, null, newest, null, legacyUpTo, List.of());
    }

    private static boolean matches(Map<Long, List<Checkpoint>> checkpoints, long seq, byte[] hash) {
        for (Checkpoint checkpoint : checkpoints.getOrDefault(seq, List.of())) {
            if (!MessageDigest.isEqual(checkpoint.hash(), hash)) {
                return false;
            }
        }
        return true;
    }

    /** Reads on, seq numbers only, to tell a misplaced row from a missing one. */
    private static boolean appearsLater(Iterator<ChainedEvent> events, long seq) {
        try {
            while (events.hasNext()) {
                if (events.next().seq() == seq) {
                    return true;
                }
            }
        } catch (MalformedEventException e) {
            // Cannot tell past an unreadable line; call it a gap.
        }
        return false;
    }

    private static String unsealed(long first, long last) {
        return (first == last ? "seq " + first + " carries" : "seq " + first + " to " + last + " carry")
                + " no writer seal: not written by Lanyard";
    }

    private static Result broken(long verifiedUpTo, long firstBad, String reason, Checkpoint newest) {
        return new Result(false, verifiedUpTo, firstBad, reason, newest, null);
    }
}
