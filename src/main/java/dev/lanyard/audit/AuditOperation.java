package dev.lanyard.audit;

import java.util.Optional;

/**
 * The closed vocabulary of what an event records. Each has one spelling, stored in the log and used in queries
 * ({@code ?operation=token.issue}); a new kind of action gets a new constant here, never a free string.
 */
public enum AuditOperation {
    READ("read"),
    ISSUE("issue"),
    RENEW("renew"),
    REVOKE("revoke"),
    WRITE("write"),
    /** A caller's credentials were checked and refused. */
    AUTHENTICATE("authenticate"),
    /** A request refused before it reached an operation (transport limits, non-canonical input, unknown route). */
    REQUEST("request"),
    /**
     * Refusals of one unverified address in one minute that were answered 429 without a row each (past the address's
     * budget): one aggregate row says how many, from where, and when.
     */
    UNRECORDED_REFUSALS("request.unrecorded"),
    TOKEN_ISSUE("token.issue"),
    TOKEN_LIST("token.list"),
    TOKEN_REVOKE("token.revoke"),
    TOKEN_BOOTSTRAP("token.bootstrap"),
    TOKEN_ROTATE("token.rotate"),
    /** A ServiceAccount token exchanged for a login token ({@code auth/<mount>/login} on the Vault-compatible API). */
    TOKEN_LOGIN("token.login"),
    /** A caller asked what its own token is ({@code auth/token/lookup-self}). */
    TOKEN_LOOKUP("token.lookup"),
    /** A caller extended its own login token ({@code auth/token/renew-self}). */
    TOKEN_RENEW("token.renew"),
    /** A lease's holder asked about it ({@code sys/leases/lookup}): when it was issued and when it expires. */
    LEASE_LOOKUP("lease.lookup"),
    /** A static secret's versions and when each was made, never a value (KV v2 {@code metadata/}). */
    METADATA_READ("metadata.read"),
    /** The Vault-compatible mounts a caller may use, or one of them ({@code sys/mounts}, {@code sys/internal/ui/mounts}). */
    MOUNT_READ("mount.read"),
    POLICY_LOAD("policy.load"),
    AUDIT_QUERY("audit.query"),
    AUDIT_EXPORT("audit.export"),
    AUDIT_HOLDERS("audit.holders"),
    AUDIT_VERIFY("audit.verify"),
    AUDIT_PUBLIC_KEY("audit.public-key"),
    AUDIT_CHECKPOINT("audit.checkpoint"),
    AUDIT_ARCHIVE("audit.archive"),
    /** Rows no Lanyard writer sealed were moved out of the chain by the schema owner; recorded by Lanyard afterwards. */
    AUDIT_QUARANTINE("audit.quarantine"),
    /** Rotation schedules as a security team manages them through {@code /v1/rotations}. */
    ROTATION_SCHEDULE_CREATE("rotation.schedule.create"),
    ROTATION_SCHEDULE_UPDATE("rotation.schedule.update"),
    ROTATION_SCHEDULE_PAUSE("rotation.schedule.pause"),
    ROTATION_SCHEDULE_RESUME("rotation.schedule.resume"),
    ROTATION_SCHEDULE_DELETE("rotation.schedule.delete"),
    ROTATION_LIST("rotation.list"),
    ROTATION_READ("rotation.read"),
    /** A run asked for now, or a stuck run resumed or rolled back by an operator. */
    ROTATION_TRIGGER("rotation.trigger"),
    ROTATION_RECOVER("rotation.recover"),
    /** The steps of a rotation run, and how the run ended; Lanyard's own work, recorded per step. */
    ROTATION_CREATE("rotation.create"),
    ROTATION_SET("rotation.set"),
    ROTATION_TEST("rotation.test"),
    ROTATION_FINISH("rotation.finish"),
    ROTATION_ROLLBACK("rotation.rollback"),
    ROTATION_RUN("rotation.run");

    private final String spelling;

    AuditOperation(String spelling) {
        this.spelling = spelling;
    }

    public String spelling() {
        return spelling;
    }

    /** The operation with this spelling, if there is one (for query filters). */
    public static Optional<AuditOperation> bySpelling(String text) {
        for (AuditOperation operation : values()) {
            if (operation.spelling.equals(text)) {
                return Optional.of(operation);
            }
        }
        return Optional.empty();
    }
}
