package dev.lanyard.auth;

import java.util.Objects;

/**
 * An authenticated caller. {@link #subject()} is the identity policies and the audit log name:
 * {@code token:<name>} for Lanyard API tokens, {@code sa:<namespace>/<serviceaccount>} for Kubernetes
 * ServiceAccounts.
 */
public record Caller(String subject, Kind kind) {

    public enum Kind { API_TOKEN, SERVICE_ACCOUNT, SYSTEM }

    public Caller {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(kind, "kind");
    }

    public static Caller apiToken(String name) {
        return new Caller("token:" + name, Kind.API_TOKEN);
    }

    /** Lanyard itself, for background work: policies may bind {@code system} like any subject. */
    public static Caller system() {
        return new Caller("system", Kind.SYSTEM);
    }

    public static Caller serviceAccount(String namespace, String name) {
        return new Caller("sa:" + namespace + "/" + name, Kind.SERVICE_ACCOUNT);
    }
}
