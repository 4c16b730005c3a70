package dev.lanyard.auth;

import java.util.Objects;

/**
 * An authenticated caller. {@link #subject()} is the identity policies and the audit log name:
 * {@code token:<name>} for Lanyard API tokens, {@code sa:<namespace>/<serviceaccount>} for Kubernetes
 * ServiceAccounts. {@link #credentialId()} tells apart credentials that share a subject — two API tokens issued under
 * one name, two login tokens of one ServiceAccount — and is recorded beside it: the public 16-hex id of the API token or
 * of the login token (Vault-compatible API) the caller presented; null for a ServiceAccount that presented its own JWT,
 * and for Lanyard itself.
 */
public record Caller(String subject, Kind kind, String credentialId) {

    public enum Kind { API_TOKEN, SERVICE_ACCOUNT, SYSTEM }

    public Caller {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.API_TOKEN && credentialId == null) {
            throw new IllegalArgumentException("an API token caller carries the token's id");
        }
        if (kind == Kind.SYSTEM && credentialId != null) {
            throw new IllegalArgumentException("Lanyard itself presents no credential");
        }
    }

    /** The caller of the API token with public id {@code id}, issued under {@code name}. */
    public static Caller apiToken(String id, String name) {
        return new Caller("token:" + name, Kind.API_TOKEN, Objects.requireNonNull(id, "id"));
    }

    /** Lanyard itself, for background work: policies may bind {@code system} like any subject. */
    public static Caller system() {
        return new Caller("system", Kind.SYSTEM, null);
    }

    /** The ServiceAccount {@code subject} ({@code sa:<namespace>/<name>}), calling with its login token {@code id}. */
    public static Caller loginToken(String id, String subject) {
        return new Caller(subject, Kind.SERVICE_ACCOUNT, Objects.requireNonNull(id, "id"));
    }

    public static Caller serviceAccount(String namespace, String name) {
        return new Caller("sa:" + namespace + "/" + name, Kind.SERVICE_ACCOUNT, null);
    }
}
