package dev.lanyard.audit;

import java.util.Objects;

/**
 * What an event is about, as references only: never a value. {@code backend} and {@code path} are what policies
 * match ({@code lanyard/tokens/ci}, {@code openbao/secret/payments/db}); {@code detail} says which part of a larger
 * thing (a rotation run and step, a Kubernetes object); {@code version} and {@code leaseHmac} pin the secret version
 * read or the lease (by its HMAC fingerprint) acted on.
 */
public record Target(TargetKind kind, String backend, String path, String detail, String version, String leaseHmac) {

    public Target {
        Objects.requireNonNull(kind, "kind");
    }

    /** No target: the request was refused before it named one. */
    public static Target none() {
        return new Target(TargetKind.NONE, null, null, null, null, null);
    }

    /** No target, and a count of what an aggregate row stands for: {@code detail} says how many, and when. */
    public static Target counted(String detail) {
        return new Target(TargetKind.NONE, null, null, Objects.requireNonNull(detail, "detail"), null, null);
    }

    public static Target secret(String backend, String path) {
        return new Target(TargetKind.SECRET, backend, path, null, null, null);
    }

    /** A lease by fingerprint; {@link #on(String, String)} adds its secret once the lease record is found. */
    public static Target lease(String leaseHmac) {
        return new Target(TargetKind.LEASE, null, null, null, null, leaseHmac);
    }

    public static Target token(String name) {
        return new Target(TargetKind.TOKEN, "lanyard", "tokens/" + name, null, null, null);
    }

    /** The collection of tokens, for listing. */
    public static Target tokens() {
        return new Target(TargetKind.TOKEN, "lanyard", "tokens", null, null, null);
    }

    public static Target policy(String name) {
        return new Target(TargetKind.POLICY, "lanyard", "policies/" + name, null, null, null);
    }

    /** A resource of the audit API: {@code events}, {@code export}, {@code archive/<seq>} … */
    public static Target audit(String resource) {
        return new Target(TargetKind.AUDIT, "audit", resource, null, null, null);
    }

    /** A rotation of {@code backend/path}: {@code run} is {@code run/<id>} or {@code run/<id>/step/<step>}. */
    public static Target rotation(String backend, String path, String run) {
        return new Target(TargetKind.ROTATION, backend, path, Objects.requireNonNull(run, "run"), null, null);
    }

    /** A Kubernetes object the controller served by reading {@code backend/path}. */
    public static Target kubernetes(String backend, String path, String kind, String namespace, String name) {
        return new Target(TargetKind.KUBERNETES, backend, path, kind + " " + namespace + "/" + name, null, null);
    }

    /** A login token the Vault-compatible API issued, by its public id: {@code lanyard/logins/<id>}. */
    public static Target login(String id) {
        return new Target(TargetKind.TOKEN, "lanyard", "logins/" + id, null, null, null);
    }

    /** The same target, with {@code surface} (how the work came in) leading its detail. */
    public Target via(String surface) {
        return new Target(kind, backend, path, detail == null ? surface : surface + "; " + detail, version, leaseHmac);
    }

    /** The same target, about {@code backend/path} (a lease's secret, learned from its record). */
    public Target on(String newBackend, String newPath) {
        return new Target(kind, newBackend, newPath, detail, version, leaseHmac);
    }

    /** The same target, at the secret version that was read. */
    public Target atVersion(String newVersion) {
        return new Target(kind, backend, path, detail, newVersion, leaseHmac);
    }

    /** The same target, saying which part of it, or how it was acted on. */
    public Target withDetail(String newDetail) {
        return new Target(kind, backend, path, newDetail, version, leaseHmac);
    }

    /** The same target, with the fingerprint of the lease it issued or acted on. */
    public Target withLease(String newLeaseHmac) {
        return new Target(kind, backend, path, detail, version, newLeaseHmac);
    }
}
