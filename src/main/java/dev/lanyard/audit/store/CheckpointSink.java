package dev.lanyard.audit.store;

import dev.lanyard.audit.chain.Checkpoint;
import java.util.List;

/**
 * Storage outside the database that checkpoints are published to, so that whoever administers the database cannot
 * rewrite the log and its signatures together (docs/audit-chain.md, "Checkpoints"). Blocking: called on virtual threads.
 */
interface CheckpointSink {

    /**
     * Publishes one checkpoint durably, never replacing one published before (two checkpoints of one seq are both kept).
     *
     * @throws IllegalStateException naming the sink when it could not
     */
    void publish(Checkpoint checkpoint);

    /** Every checkpoint published here of seq {@code fromSeq} or later, in no particular order. */
    List<Checkpoint> published(long fromSeq);

    /** Where, for logs and errors: {@code file /var/…}, {@code s3://bucket/prefix}. */
    String describe();
}
