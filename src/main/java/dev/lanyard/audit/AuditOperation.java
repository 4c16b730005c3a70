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
    TOKEN_ISSUE("token.issue"),
    TOKEN_LIST("token.list"),
    TOKEN_REVOKE("token.revoke"),
    TOKEN_BOOTSTRAP("token.bootstrap"),
    TOKEN_ROTATE("token.rotate"),
    POLICY_LOAD("policy.load"),
    AUDIT_QUERY("audit.query"),
    AUDIT_EXPORT("audit.export"),
    AUDIT_HOLDERS("audit.holders"),
    AUDIT_VERIFY("audit.verify"),
    AUDIT_PUBLIC_KEY("audit.public-key"),
    AUDIT_CHECKPOINT("audit.checkpoint"),
    AUDIT_ARCHIVE("audit.archive");

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
