package dev.lanyard.policy;

import java.util.Locale;

/** What a policy rule may allow on a path. */
public enum Capability {
    READ, ISSUE, RENEW, REVOKE,
    /** Write a new current version of a static secret. */
    WRITE,
    /** Renew or revoke leases on the path that other identities hold. */
    ADMIN,
    /** Query and verify the audit log. */
    AUDIT_READ,
    /** Trigger and manage rotations. */
    ROTATE;

    /** Parses the configuration spelling: {@code read}, {@code audit:read}. */
    public static Capability parse(String text) {
        return valueOf(text.trim().replace(':', '_').replace('-', '_').toUpperCase(Locale.ROOT));
    }

    public String spelling() {
        return name().toLowerCase(Locale.ROOT).replace('_', ':');
    }
}
