package dev.lanyard.policy;

import java.util.Locale;

/** What a policy rule may allow on a path. */
public enum Capability {
    READ, ISSUE, RENEW, REVOKE,
    /** Write a new current version of a static secret. */
    WRITE,
    /** Renew or revoke leases on the path that other identities hold (with {@code renew}/{@code revoke}). */
    LEASE_ADMIN,
    /** Issue, list and revoke API tokens: on {@code lanyard/tokens} and {@code lanyard/tokens/<name>} only. */
    TOKEN_ADMIN,
    /** Query and verify the audit log: on {@code audit/**} only. */
    AUDIT_READ,
    /** Sign a checkpoint now and archive the audit log: on {@code audit/**} only. */
    AUDIT_ADMIN,
    /** Trigger and manage rotations. */
    ROTATE;

    /**
     * Parses the configuration spelling: {@code read}, {@code audit:read}, {@code lease:admin}.
     *
     * @throws IllegalArgumentException for an unknown capability, and for {@code admin}, which was three unrelated
     *                                  powers and now names none of them
     */
    public static Capability parse(String text) {
        String spelled = text.trim();
        if (spelled.equalsIgnoreCase("admin")) {
            throw new IllegalArgumentException("'admin' was split into lease:admin (renew or revoke leases other identities"
                    + " hold), token:admin (API tokens, on lanyard/tokens/**) and audit:admin (checkpoints and archiving,"
                    + " on audit/**): grant the one this rule means");
        }
        return valueOf(spelled.replace(':', '_').replace('-', '_').toUpperCase(Locale.ROOT));
    }

    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', ':');
    }

    /** The namespace this capability applies in, when it applies in one of Lanyard's own only. */
    String reservedNamespace() {
        return switch (this) {
            case TOKEN_ADMIN -> "lanyard";
            case AUDIT_READ, AUDIT_ADMIN -> "audit";
            default -> null;
        };
    }
}
