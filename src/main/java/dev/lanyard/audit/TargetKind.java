package dev.lanyard.audit;

import java.util.Locale;

/** What kind of thing an event is about. */
public enum TargetKind {
    /** Nothing yet: a request refused before it named anything (bad path, no credentials). */
    NONE,
    /** A secret or credential role: {@code backend} and {@code path}. */
    SECRET,
    /** A lease, by its fingerprint, and the secret it was issued for when known. */
    LEASE,
    /** An API token: {@code lanyard/tokens/<name>}. */
    TOKEN,
    /** A policy: {@code lanyard/policies/<name>}. */
    POLICY,
    /** The audit log itself: {@code audit/<resource>}. */
    AUDIT,
    /** A rotation of a secret: the secret, and {@code detail} = {@code run/<id>} or {@code run/<id>/step/<step>}. */
    ROTATION,
    /** A Kubernetes object the controller served: the secret read, and {@code detail} = {@code <Kind> <namespace>/<name>}. */
    KUBERNETES;

    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }
}
