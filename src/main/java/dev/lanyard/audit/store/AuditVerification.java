package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Verifies the chain as stored: the whole log from its anchor (genesis, or after pruning the signed checkpoint that
 * sealed the pruned segment), or a range of it. Reads only: it works while the writer refuses to append, which is when
 * it is needed most. Blocking: run it on a virtual thread.
 *
 * <p>Checkpoints come from two places that are not trusted alike. Those published outside the database are Lanyard's
 * own record: one the key did not sign there breaks the verification. Rows of {@code audit_checkpoint} can be written by
 * anyone with the app role's password: one the key did not sign says nothing about the log, so it is left out and named
 * in a note, never reported as tampering with the log.
 */
@ApplicationScoped
public class AuditVerification {

    private final AuditStore store;
    private final AuditCheckpoints checkpoints;

    AuditVerification(AuditStore store, AuditCheckpoints checkpoints) {
        this.store = store;
        this.checkpoints = checkpoints;
    }

    /**
     * @param fromSeq the first seq to check (the whole log when empty or at its start). A range starts from the stored
     *                hash before it: it proves the range intact and in agreement with the checkpoints inside it; only
     *                the whole log proves that stored hash.
     * @param toSeq   the last seq to check, taken on to the end of its batch (the row that carries the batch's seal);
     *                checkpoints after that are not evidence against the range
     */
    public ChainVerifier.Result verify(Optional<Long> fromSeq, Optional<Long> toSeq) {
        byte[] publicKey = checkpoints.publicKey();
        long first = store.firstSeq().orElse(1L);
        Optional<Long> upTo = toSeq.map(seq -> store.batchEnd(seq).orElse(seq));
        List<Checkpoint> known = new ArrayList<>();
        TreeSet<Long> foreign = new TreeSet<>();
        for (Checkpoint checkpoint : store.checkpoints()) {
            if (CheckpointSigner.verify(checkpoint, publicKey)) {
                known.add(checkpoint);
            } else {
                foreign.add(checkpoint.seq());
            }
        }
        known.addAll(checkpoints.published(Math.max(0, first - 1)));
        known.removeIf(c -> upTo.isPresent() && c.seq() > upTo.get());
        ChainVerifier.Result result = verify(first, fromSeq, upTo, known, publicKey);
        if (!foreign.isEmpty()) {
            result = result.withNote("ignored: checkpoint rows in the database that this key did not sign, at seq "
                    + (foreign.size() > 5 ? foreign.first() + " and " + (foreign.size() - 1) + " more" : foreign)
                    + " (someone with the database's credentials recorded them)");
        }
        return result;
    }

    private ChainVerifier.Result verify(long first, Optional<Long> fromSeq, Optional<Long> toSeq, List<Checkpoint> known,
                                        byte[] publicKey) {
        ChainVerifier.Scope scope = toSeq.isPresent() ? ChainVerifier.Scope.EXCERPT : ChainVerifier.Scope.WHOLE_LOG;
        if (fromSeq.isPresent() && fromSeq.get() > first) {
            long anchorSeq = fromSeq.get() - 1;
            byte[] anchorHash = store.hashAt(anchorSeq)
                    .orElseThrow(() -> new InvalidAuditRequestException("no event at from_seq - 1"));
            return store.verify(anchorSeq, anchorHash, toSeq, known, publicKey, scope);
        }
        long anchorSeq = first - 1;
        if (anchorSeq == 0) {
            return store.verify(0, CanonicalForm.GENESIS, toSeq, known, publicKey, scope);
        }
        // After pruning the chain starts from a signed checkpoint, never from an unsigned stored hash.
        Optional<Checkpoint> anchor = known.stream()
                .filter(c -> c.seq() == anchorSeq && CheckpointSigner.verify(c, publicKey)).findFirst();
        if (anchor.isEmpty()) {
            return new ChainVerifier.Result(false, anchorSeq, first, "no signed checkpoint anchors the first event " + first,
                    null, null);
        }
        return store.verify(anchorSeq, anchor.get().hash(), toSeq, known, publicKey, scope);
    }
}
