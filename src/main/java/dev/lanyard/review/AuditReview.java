package dev.lanyard.review;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.chain.ChainVerifier;
import dev.lanyard.audit.chain.ChainedEvent;
import dev.lanyard.audit.chain.Checkpoint;
import dev.lanyard.audit.store.AuditArchive;
import dev.lanyard.audit.store.AuditCheckpoints;
import dev.lanyard.audit.store.AuditQuery;
import dev.lanyard.audit.store.AuditStore;
import dev.lanyard.audit.store.AuditVerification;
import dev.lanyard.audit.store.InvalidAuditRequestException;
import dev.lanyard.policy.Capability;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What auditors (and, for the last two, administrators) may do with the audit log: query, export, "who held what",
 * verify, fetch the checkpoint key, sign the head now, archive. Each is an {@link AuditedAccess} — needing
 * {@code audit:read} (or {@code admin}) on {@code audit/<resource>}, and itself recorded — so whatever surface offers
 * them (the HTTP API, a console) records and refuses alike.
 *
 * <p>The log's reads block: subscribe from a virtual thread, as the store asks.
 */
@Singleton
public class AuditReview {

    /** The events of a query, written in order to a sink, after the export itself was recorded. */
    @FunctionalInterface
    public interface Export {
        void writeTo(Consumer<ChainedEvent> sink);
    }

    /** The key that verifies checkpoints, and its id. */
    public record PublicKey(String keyId, byte[] key) {}

    private final AuditedAccess audited;
    private final AuditStore store;
    private final AuditCheckpoints checkpoints;
    private final AuditVerification verification;
    private final AuditArchive archive;
    private final LeaseFingerprint fingerprint;
    private final InstantSource clock;

    AuditReview(AuditedAccess audited, AuditStore store, AuditCheckpoints checkpoints, AuditVerification verification,
                AuditArchive archive, LeaseFingerprint fingerprint, InstantSource clock) {
        this.audited = audited;
        this.store = store;
        this.checkpoints = checkpoints;
        this.verification = verification;
        this.archive = archive;
        this.fingerprint = fingerprint;
        this.clock = clock;
    }

    /** How auditors name a lease: its fingerprint, never its id (for query filters). */
    public String leaseHmac(String leaseId) {
        return fingerprint.of(leaseId);
    }

    /** One page of the events a query matches, in seq order. */
    public Uni<List<ChainedEvent>> events(AccessContext access, AuditQuery query) {
        return reading(access, AuditOperation.AUDIT_QUERY, "events", () -> store.page(query));
    }

    /** Every event a query matches, for export; the export is recorded before the first event is read. */
    public Uni<Export> export(AccessContext access, AuditQuery query) {
        return reading(access, AuditOperation.AUDIT_EXPORT, "export", () -> sink -> store.export(query, sink));
    }

    /**
     * Who held a credential for, or read, {@code backend/path} between {@code from} and {@code to} (now when absent),
     * narrowed to one version or one lease (by its id, fingerprinted here).
     */
    public Uni<List<AuditStore.Holding>> holders(AccessContext access, String backend, String path, Optional<String> version,
                                                 Optional<String> leaseId, Instant from, Optional<Instant> to) {
        Optional<String> lease = leaseId.map(fingerprint::of);
        return reading(access, AuditOperation.AUDIT_HOLDERS, "holders",
                () -> store.holders(backend, path, version, lease, from, to.orElseGet(clock::instant)));
    }

    public Uni<PublicKey> publicKey(AccessContext access) {
        // Public by nature, but behind authentication, policy and the audit log like every /v1 endpoint.
        return reading(access, AuditOperation.AUDIT_PUBLIC_KEY, "public-key",
                () -> new PublicKey(checkpoints.keyId(), checkpoints.publicKey()));
    }

    /**
     * Verifies the chain (whole, or a range) against the signed checkpoints. Answered even while the log refuses appends
     * (a foreign row at its head, say): that is when auditors and operators need the verdict most, and appending to the
     * very log under diagnosis cannot be its precondition. Its record is then written late
     * ({@link AuditedAccess#runWhileUnrecordable}).
     */
    public Uni<ChainVerifier.Result> verify(AccessContext access, Optional<Long> fromSeq, Optional<Long> toSeq) {
        return audited.runWhileUnrecordable(access, Capability.AUDIT_READ, AuditOperation.AUDIT_VERIFY, Target.audit("verify"),
                200, blocking(() -> verification.verify(fromSeq, toSeq)));
    }

    /** Signs the head now; empty when it was already signed. Needs {@code admin}. */
    public Uni<Optional<Checkpoint>> checkpointNow(AccessContext access) {
        return audited.run(access, Capability.AUDIT_ADMIN, AuditOperation.AUDIT_CHECKPOINT, Target.audit("checkpoints"), 200,
                checkpoints::checkpoint);
    }

    /**
     * Exports and prunes every event up to a signed checkpoint. Needs {@code admin}. Its record names the segment's end:
     * the owner's prune requires exactly that event.
     */
    public Uni<AuditArchive.Archived> archive(AccessContext access, long upToSeq) {
        return audited.run(access, Capability.AUDIT_ADMIN, AuditOperation.AUDIT_ARCHIVE, Target.audit(AuditArchive.target(upToSeq)),
                200, blocking(() -> archive.archive(upToSeq)));
    }

    private <T> Uni<T> reading(AccessContext access, AuditOperation operation, String resource, Supplier<T> read) {
        return audited.run(access, Capability.AUDIT_READ, operation, Target.audit(resource), 200, blocking(read));
    }

    /** A blocking read of the log, run where the access is subscribed; the log's own refusals become 400s. */
    private static <T> Supplier<Uni<T>> blocking(Supplier<T> read) {
        return () -> {
            try {
                return Uni.createFrom().item(read.get());
            } catch (InvalidAuditRequestException e) {
                return Uni.createFrom().failure(new InvalidAuditRequest(e.getMessage()));
            }
        };
    }
}
