package dev.lanyard.audit.chain;

import static dev.lanyard.audit.chain.GoldenAuditFilesTest.checkpointAt;
import static dev.lanyard.audit.chain.GoldenAuditFilesTest.events;
import static dev.lanyard.audit.chain.GoldenAuditFilesTest.rechain;
import static dev.lanyard.audit.chain.GoldenAuditFilesTest.renumber;
import static dev.lanyard.audit.chain.GoldenAuditFilesTest.signer;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChainVerifierTest {

    private final ChainVerifier verifier = new ChainVerifier();
    private final List<ChainedEvent> log = events();
    private final byte[] publicKey = signer().publicKey();
    private final Checkpoint at10 = checkpointAt(log, 10);
    private final Checkpoint at20 = checkpointAt(log, 20);
    private final List<Checkpoint> checkpoints = List.of(at10, at20);

    private ChainVerifier.Result verify(List<ChainedEvent> events, List<Checkpoint> checkpoints) {
        return verifier.verify(events, CanonicalForm.GENESIS, 0, checkpoints, publicKey);
    }

    private static String at(Checkpoint checkpoint) {
        return CanonicalForm.timestamp(checkpoint.signedAt());
    }

    @Test
    void theWholeLogVerifiesUpToTheNewestCheckpoint() {
        ChainVerifier.Result result = verify(log, checkpoints);
        assertThat(result.valid()).isTrue();
        assertThat(result.verifiedUpTo()).isEqualTo(20);
        assertThat(result.firstBadSeq()).isNull();
        assertThat(result.reason()).isNull();
        assertThat(result.newestCheckpoint()).isEqualTo(at20);
        assertThat(result.summary()).isEqualTo("valid up to 20, signed at " + at(at20) + OfflineVerifierTest.LEGACY_20);
    }

    @Test
    void checkpointsInAnyOrderPickTheNewest() {
        assertThat(verify(log, List.of(at20, at10)).newestCheckpoint()).isEqualTo(at20);
    }

    @Test
    void withoutCheckpointsTheChainIsValidButUnsigned() {
        ChainVerifier.Result result = verify(log, List.of());
        assertThat(result.valid()).isTrue();
        assertThat(result.newestCheckpoint()).isNull();
        assertThat(result.summary()).isEqualTo("valid up to 20, no signed checkpoint covers it" + OfflineVerifierTest.LEGACY_20);
    }

    @Test
    void eventsAfterTheNewestCheckpointAreValidAndSaidToBeUnsigned() {
        ChainVerifier.Result result = verify(log, List.of(at10));
        assertThat(result.valid()).isTrue();
        assertThat(result.summary()).isEqualTo("valid up to 20, signed at " + at(at10) + " up to seq 10" + OfflineVerifierTest.LEGACY_20);
    }

    @Test
    void anEmptyLogWithoutCheckpointsIsValid() {
        assertThat(verify(List.of(), List.of()).summary()).isEqualTo("valid up to 0, no signed checkpoint covers it");
    }

    @Test
    void aChangedFieldBreaksAtItsSeq() {
        List<ChainedEvent> changed = GoldenAuditFilesTest.replace(log, 7, e -> Row.from(e).with(r -> {
            r.outcome = "success";
            r.status = 200;
            r.errorCode = null;
        }).build());
        assertBroken(verify(changed, checkpoints), 6, 7, "hash mismatch");
    }

    @Test
    void aChangedTimeBreaksAtItsSeq() {
        List<ChainedEvent> changed = GoldenAuditFilesTest.replace(log, 3, e -> Row.from(e)
                .with(r -> r.occurredAt = r.occurredAt.plusNanos(1000)).build());
        assertBroken(verify(changed, checkpoints), 2, 3, "hash mismatch");
    }

    @Test
    void aChangedStoredHashBreaksAtItsSeq() {
        byte[] other = log.get(4).hash();
        other[0] ^= 0x01;
        List<ChainedEvent> changed = GoldenAuditFilesTest.replace(log, 5, e -> e.withHash(other));
        assertBroken(verify(changed, checkpoints), 4, 5, "hash mismatch");
    }

    @Test
    void anUnchainedRowBreaksAtItsSeq() {
        List<ChainedEvent> changed = GoldenAuditFilesTest.replace(log, 1, e -> e.withHash(null));
        assertBroken(verify(changed, checkpoints), 0, 1, "hash mismatch");
    }

    @Test
    void aDeletedRowIsASequenceGap() {
        List<ChainedEvent> deleted = new ArrayList<>(log);
        deleted.remove(7);
        assertBroken(verify(deleted, checkpoints), 7, 8, "sequence gap: expected 8, found 9");
    }

    @Test
    void aDeletedFirstRowIsASequenceGap() {
        assertBroken(verify(log.subList(1, 20), List.of()), 0, 1, "sequence gap: expected 1, found 2");
    }

    @Test
    void aDuplicatedRowIsOutOfOrder() {
        List<ChainedEvent> duplicated = new ArrayList<>(log);
        duplicated.add(8, log.get(7));
        assertBroken(verify(duplicated, checkpoints), 8, 9, "out of order: expected 9, found 8");
    }

    @Test
    void swappedLinesAreOutOfOrderNotAGap() {
        List<ChainedEvent> swapped = new ArrayList<>(log);
        swapped.set(11, log.get(12));
        swapped.set(12, log.get(11));
        assertBroken(verify(swapped, checkpoints), 11, 12, "out of order: expected 12, found 13");
    }

    @Test
    void swappedContentUnderTheSameSeqsIsAHashMismatch() {
        // Reordering in the database: rows 12 and 13 trade their events but keep seq and hash.
        List<ChainedEvent> swapped = new ArrayList<>(log);
        swapped.set(11, renumber(log.get(12), 12).withHash(log.get(11).hash()));
        swapped.set(12, renumber(log.get(11), 13).withHash(log.get(12).hash()));
        assertBroken(verify(swapped, checkpoints), 11, 12, "hash mismatch");
    }

    @Test
    void aForgedRowChainedCorrectlyIsCaughtByItsSuccessor() {
        ChainedEvent forged = GoldenAuditFilesTest.event(8, "read", "token:ci", "vault", "kv/x", null, null, "success",
                200, null, null);
        List<ChainedEvent> inserted = new ArrayList<>(log.subList(0, 7));
        inserted.add(forged.withHash(forged.chainedAfter(log.get(6).hash())));
        log.subList(7, 20).forEach(e -> inserted.add(renumber(e, e.seq() + 1)));
        assertBroken(verify(inserted, checkpoints), 8, 9, "hash mismatch");
    }

    @Test
    void aRechainedCopyIsCaughtByTheFirstCheckpointAfterTheChange() {
        List<ChainedEvent> copy = new ArrayList<>(log.subList(0, 12));
        List<ChainedEvent> tail = new ArrayList<>(log.subList(12, 20));
        tail.set(0, Row.read(13, tail.get(0).occurredAt(), "token:ci", null, null).with(r -> {
            r.format = CanonicalForm.LEGACY_FORMAT;
            r.requestId = "req-forged";
        }).build());
        copy.addAll(rechain(tail, log.get(11).hash()));

        // On its own the copy is a perfectly good chain: only the signature shows it is not the one that was written.
        assertThat(verify(copy, List.of()).valid()).isTrue();
        assertThat(verify(copy, List.of(at10)).valid()).isTrue();
        assertBroken(verify(copy, checkpoints), 10, 20, "checkpoint at 20 does not match the log");
    }

    @Test
    void aChangeBeforeTheFirstCheckpointLeavesNothingVerified() {
        List<ChainedEvent> copy = new ArrayList<>(log.subList(0, 2));
        List<ChainedEvent> tail = new ArrayList<>(log.subList(2, 20));
        ChainedEvent e3 = tail.get(0);
        tail.set(0, Row.from(e3).with(r -> {
            r.subject = "token:ci";
            r.hash = null;
        }).build());
        copy.addAll(rechain(tail, log.get(1).hash()));
        assertBroken(verify(copy, checkpoints), 0, 10, "checkpoint at 10 does not match the log");
    }

    @Test
    void aTruncatedTailIsCaughtByTheNewestCheckpoint() {
        ChainVerifier.Result result = verify(log.subList(0, 17), checkpoints);
        assertBroken(result, 17, 18, "log ends at 17 but a checkpoint signed at " + at(at20) + " covers 20");
        assertThat(result.newestCheckpoint()).isEqualTo(at20);
        // Without the checkpoint file the shorter log would look fine: that is what the file outside the database is for.
        assertThat(verify(log.subList(0, 17), List.of(at10)).valid()).isTrue();
    }

    @Test
    void anEmptiedLogIsCaughtByTheCheckpoints() {
        assertBroken(verify(List.of(), checkpoints), 0, 1,
                "log ends at 0 but a checkpoint signed at " + at(at20) + " covers 20");
    }

    @Test
    void aRollbackThatKeptWritingIsCaughtWhereItPassesTheCheckpoint() {
        // The database is restored from a backup taken at seq 15 and Lanyard writes on: 16.. are new events.
        List<ChainedEvent> restored = new ArrayList<>(log.subList(0, 15));
        List<ChainedEvent> later = new ArrayList<>();
        for (int seq = 16; seq <= 22; seq++) {
            later.add(GoldenAuditFilesTest.event(seq, "read", "token:ci", "vault", "kv/after-restore", null, null,
                    "success", 200, null, null));
        }
        restored.addAll(rechain(later, log.get(14).hash()));
        assertBroken(verify(restored, checkpoints), 10, 20, "checkpoint at 20 does not match the log");
    }

    @Test
    void aForgedCheckpointSignatureMakesTheResultInvalid() {
        byte[] signature = at20.signature();
        signature[0] ^= 0x01;
        Checkpoint forged = new Checkpoint(20, at20.hash(), at20.signedAt(), at20.keyId(), signature);
        ChainVerifier.Result result = verify(log, List.of(at10, forged));
        assertBroken(result, 19, 20, "checkpoint at 20: bad signature");
        assertThat(result.newestCheckpoint()).isEqualTo(at10);
    }

    @Test
    void aCheckpointMovedToAnotherSeqHasABadSignature() {
        Checkpoint moved = new Checkpoint(17, log.get(16).hash(), at20.signedAt(), at20.keyId(), at20.signature());
        assertBroken(verify(log.subList(0, 17), List.of(at10, moved)), 16, 17, "checkpoint at 17: bad signature");
    }

    @Test
    void aCheckpointSignedWithAnotherKeyNamesBothKeyIds() {
        CheckpointSigner other = CheckpointSigner.fromBase64Seed(CheckpointSigner.generateSeed());
        Checkpoint foreign = other.sign(20, log.get(19).hash(), Instant.parse("2026-11-23T12:00:00Z"));
        assertBroken(verify(log, List.of(at10, foreign)), 19, 20, "checkpoint at 20: bad signature (its key id is "
                + other.keyId() + ", the public key's is " + signer().keyId() + ")");
    }

    @Test
    void theEarliestProblemIsReported() {
        byte[] signature = at20.signature();
        signature[0] ^= 0x01;
        Checkpoint forged = new Checkpoint(20, at20.hash(), at20.signedAt(), at20.keyId(), signature);
        List<ChainedEvent> changed = GoldenAuditFilesTest.replace(log, 4, e -> e.withHash(new byte[32]));
        assertBroken(verify(changed, List.of(at10, forged)), 3, 4, "hash mismatch");
    }

    @Test
    void aPrunedLogVerifiesFromItsAnchorCheckpoint() {
        ChainVerifier.Result result = verifier.verify(log.subList(10, 20), at10.hash(), 10, checkpoints, publicKey);
        assertThat(result.valid()).isTrue();
        assertThat(result.summary()).isEqualTo("valid up to 20, signed at " + at(at20) + OfflineVerifierTest.LEGACY_20);
    }

    @Test
    void aPrunedLogMustStartRightAfterItsAnchor() {
        assertBroken(verifier.verify(log.subList(11, 20), at10.hash(), 10, checkpoints, publicKey), 10, 11,
                "sequence gap: expected 11, found 12");
    }

    @Test
    void aPrunedLogDoesNotVerifyFromTheWrongAnchorHash() {
        assertBroken(verifier.verify(log.subList(10, 20), log.get(8).hash(), 10, List.of(at20), publicKey), 10, 11,
                "hash mismatch");
    }

    @Test
    void anAnchorThatContradictsACheckpointAtItsSeqIsRefused() {
        assertBroken(verifier.verify(log.subList(10, 20), log.get(8).hash(), 10, List.of(at10), publicKey), 10, 11,
                "checkpoint at 10 does not match the log");
    }

    @Test
    void anUnreadableEventIsABreakAtTheSeqExpectedThere() {
        Iterable<ChainedEvent> events = () -> new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < 20;
            }

            @Override
            public ChainedEvent next() {
                if (next == 5) {
                    next++;
                    throw new ChainVerifier.MalformedEventException("malformed export line 6: not JSON");
                }
                return log.get(next++);
            }
        };
        assertBroken(verifier.verify(events, CanonicalForm.GENESIS, 0, checkpoints, publicKey), 5, 6,
                "malformed export line 6: not JSON");
    }

    @Test
    void eventsAreStreamedOnceNotCollected() {
        // A long log generated on the fly, readable once: the verifier must neither need a list nor go back.
        int count = 20_000;
        AtomicInteger iterations = new AtomicInteger();
        Iterable<ChainedEvent> once = () -> {
            assertThat(iterations.incrementAndGet()).as("iterated more than once").isEqualTo(1);
            return new Iterator<>() {
                private long seq;
                private byte[] previous = CanonicalForm.GENESIS;

                @Override
                public boolean hasNext() {
                    return seq < count;
                }

                @Override
                public ChainedEvent next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    ChainedEvent e = GoldenAuditFilesTest.event(++seq, "read", "token:ci", "vault", "kv/p" + seq, null,
                            null, "success", 200, null, null);
                    ChainedEvent chained = e.withHash(e.chainedAfter(previous));
                    previous = chained.hash();
                    return chained;
                }
            };
        };
        ChainVerifier.Result result = verifier.verify(once, CanonicalForm.GENESIS, 0, List.of(), publicKey);
        assertThat(result.valid()).isTrue();
        assertThat(result.verifiedUpTo()).isEqualTo(count);
        assertThat(iterations).hasValue(1);
    }

    // Format 3: the rows only a writer holding the key can have made.

    private final List<ChainedEvent> sealedLog = GoldenAuditFilesTest.sealedEvents();

    @Test
    void aSealedLogVerifiesAndSaysWhichRowsPredateSeals() {
        ChainVerifier.Result result = verify(sealedLog, List.of(checkpointAt(sealedLog, 20)));
        assertThat(result.valid()).as(result.summary()).isTrue();
        assertThat(result.verifiedUpTo()).isEqualTo(20);
        assertThat(result.legacyUpTo()).isEqualTo(10);
    }

    @Test
    void aCorrectlyHashedRowWithoutASealIsNotLanyards() {
        List<ChainedEvent> forged = new ArrayList<>(sealedLog);
        forged.add(GoldenAuditFilesTest.forged(sealedLog.getLast()));
        assertBroken(verify(forged, List.of()), 20, 21, "seq 21 carries no writer seal: not written by Lanyard");
    }

    @Test
    void aLogEndingInsideABatchIsNotProvenBeyondItsLastSeal() {
        // Rows 15..17 of the batch 15..18 without its sealed last row: nothing says a writer made them.
        assertBroken(verify(sealedLog.subList(0, 17), List.of()), 14, 15,
                "seq 15 to 17 carry no writer seal: not written by Lanyard");
    }

    @Test
    void aSealMustCoverExactlyItsBatch() {
        // A seal the key really made, but for 13..14 on the one-row batch 14: it vouches for rows another seal covers.
        List<ChainedEvent> claims = GoldenAuditFilesTest.replace(sealedLog, 14,
                e -> e.withSeal(signer().seal(13, 14, e.hash())));
        assertBroken(verify(claims, List.of()), 13, 14,
                "the writer seal at 14 claims seq 13 to 14, but its batch starts at 14");
    }

    @Test
    void aSealedBatchChainedOntoAForeignRowDoesNotVouchForIt() {
        List<ChainedEvent> log = new ArrayList<>(sealedLog.subList(0, 14));
        log.add(GoldenAuditFilesTest.forged(log.getLast()));
        List<ChainedEvent> after = new ArrayList<>();
        for (ChainedEvent e : sealedLog.subList(14, 18)) {
            after.add(Row.from(e).with(r -> {
                r.seq = e.seq() + 1;
                r.seal = null;
            }).build());
        }
        log.addAll(GoldenAuditFilesTest.sealed(rechain(after, log.getLast().hash()), List.of(19L)));
        assertBroken(verify(log, List.of()), 14, 15, "seq 15 carries no writer seal: not written by Lanyard");
    }

    @Test
    void aRangeStartingInsideABatchVerifiesFromTheHashBeforeIt() {
        // Seq 16..20 from the stored hash at 15: the batch 15..18 began before the range, which its seal may say.
        ChainVerifier.Result result = verifier.verify(sealedLog.subList(15, 20), sealedLog.get(14).hash(), 15, List.of(),
                publicKey, ChainVerifier.Scope.EXCERPT);
        assertThat(result.valid()).as(result.summary()).isTrue();
        assertThat(result.verifiedUpTo()).isEqualTo(20);
        assertThat(result.legacyUpTo()).isNull();
    }

    @Test
    void anUnsealedOldFormatRowAfterSealedOnesIsNotLanyards() {
        List<ChainedEvent> log = new ArrayList<>(sealedLog);
        ChainedEvent old = Row.from(GoldenAuditFilesTest.forged(sealedLog.getLast())).with(r -> {
            r.format = CanonicalForm.LEGACY_FORMAT;
            r.credentialId = null;
        }).build();
        log.add(old.withHash(old.chainedAfter(sealedLog.getLast().hash())));
        assertBroken(verify(log, List.of()), 20, 21, "a format 2 row after sealed rows: not written by Lanyard");
    }

    private static void assertBroken(ChainVerifier.Result result, long verifiedUpTo, long firstBadSeq, String reason) {
        assertThat(result.valid()).as(result.summary()).isFalse();
        assertThat(result.reason()).isEqualTo(reason);
        assertThat(result.firstBadSeq()).isEqualTo(firstBadSeq);
        assertThat(result.verifiedUpTo()).isEqualTo(verifiedUpTo);
        assertThat(result.summary()).isEqualTo("broken at seq " + firstBadSeq + ": " + reason);
    }
}
