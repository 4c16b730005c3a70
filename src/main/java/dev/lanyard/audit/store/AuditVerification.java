package dev.lanyard.audit.store;

import dev.lanyard.audit.Result;
import dev.lanyard.audit.chain.CanonicalForm;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.chain.CheckpointSigner;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;

/**
 * Verifies the chain as stored: the whole log from its anchor (genesis, or after pruning the signed checkpoint that
 * sealed the pruned segment), or a range of it. Blocking: run it on a virtual thread.
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
     * @param toSeq   the last seq to check; checkpoints after it are not evidence against the range
     */
    public ChainVerifier.Result verify(Optional<Long> fromSeq, Optional<Long> toSeq) {
        List<Checkpoint> known = checkpoints.all().stream().filter(c -> toSeq.isEmpty() || c.seq() <= toSeq.get()).toList();
        ChainVerifier.Scope scope = toSeq.isPresent() ? ChainVerifier.Scope.EXCERPT : ChainVerifier.Scope.WHOLE_LOG;
        byte[] publicKey = checkpoints.publicKey();
        long first = store.firstSeq().orElse(1L);
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
