package dev.lanyard.spi;

import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * One configured secret backend instance (an OpenBao cluster, an AWS account, the local store).
 *
 * <p>Every operation is non-blocking for the caller: implementations that wrap a blocking client must move the call
 * off the event loop themselves. Failures are {@link BackendException} subtypes, which carry the operation, backend
 * and path but never a secret value, a lease id or an idempotency token; a malformed version id is an
 * {@link dev.lanyard.secret.InvalidSecretPathException}. An operation outside {@link #capabilities()} (or one the
 * instance cannot do on that path) fails with {@link UnsupportedBackendOperationException} before any I/O: the
 * defaults below do exactly that, so a backend implements only what it declares.
 *
 * <p>What every backend must do is stated, as tests, by {@code SecretBackendContract} in the test tree; a new
 * backend is done when a subclass of it passes against the real peer. See {@code docs/backend-spi.md}.
 */
public interface SecretBackend extends AutoCloseable {

    /** The instance name from configuration; the first segment of every {@code SecretRef} string. */
    String name();

    /** What this instance can do; callers refuse operations outside it before calling. */
    Set<BackendCapability> capabilities();

    /**
     * Reads a static secret ({@link BackendCapability#READ}, plus {@link BackendCapability#VERSIONS} for a read by id
     * and {@link BackendCapability#STAGES} for a read by stage).
     *
     * @return the secret, whose {@link dev.lanyard.secret.Secret#version()} is the id of the version actually read;
     *         fails with {@link SecretNotFoundException} when the path, the version or the stage's holder does not
     *         exist, or was deleted
     */
    Uni<Secret> read(SecretPath path, VersionSelector selector);

    /**
     * Adds a version ({@link BackendCapability#WRITE}; {@link BackendCapability#STAGES} too for a stage other than
     * current). See {@link NewVersion} for where the version goes and how a retry with the same token behaves.
     *
     * @return the new version's id (or, for a retried put, the id the first attempt created)
     */
    default Uni<String> put(SecretPath path, NewVersion version) {
        return unsupported("put", path);
    }

    /** Moves a stage between versions ({@link BackendCapability#STAGES}); see {@link StageMove}. */
    default Uni<Void> moveStage(SecretPath path, StageMove move) {
        return unsupported("move a stage of", path);
    }

    /**
     * Lists the readable versions of a secret with the stages each holds ({@link BackendCapability#STAGES}), oldest
     * first. Exactly one holds {@link Stage#CURRENT}; at most one holds any other stage.
     *
     * @return fails with {@link SecretNotFoundException} when the secret has no readable version
     */
    default Uni<List<VersionInfo>> versions(SecretPath path) {
        return unsupported("list versions of", path);
    }

    /**
     * Issues a new credential from a dynamic engine ({@link BackendCapability#ISSUE}; for Vault any
     * {@code <mount>/creds/<role>}).
     *
     * @return a secret whose lease is {@link Lease#leased} (renewable and revocable through this backend) or
     *         {@link Lease#expiring} (no lease id: it is only left to expire)
     */
    default Uni<Secret> issue(SecretPath rolePath) {
        return unsupported("issue", rolePath);
    }

    /**
     * {@link #issue(SecretPath)} for {@code requester}, the subject of the caller the credential is for (as policies and
     * the audit log name it: {@code sa:<namespace>/<name>}, {@code token:<name>}). The broker always calls this one; a
     * backend that records who a credential was issued to at the peer (AWS: the STS session name and tags, which
     * CloudTrail shows) overrides it, any other implements {@link #issue(SecretPath)} alone.
     */
    default Uni<Secret> issue(SecretPath rolePath, String requester) {
        return issue(rolePath);
    }

    /**
     * Extends a lease ({@link BackendCapability#RENEW}). The backend may grant less than asked for (max TTL).
     *
     * @param increment requested extension from now
     * @return the lease as the backend now holds it
     */
    default Uni<Lease> renew(String leaseId, Duration increment) {
        // The id is a bearer handle: never echoed, not even in a refusal.
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name(), "renew", "lease:?"));
    }

    /** Revokes a lease ({@link BackendCapability#REVOKE}); the credential stops working when this completes. Revoking twice succeeds. */
    default Uni<Void> revoke(String leaseId) {
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name(), "revoke", "lease:?"));
    }

    /** Whether the backend is reachable and usable, with a reason when it is not. Never fails, never blocks the caller. */
    Uni<BackendHealth> health();

    /** Releases connections and background work (such as token renewal). */
    @Override
    void close();

    private <T> Uni<T> unsupported(String operation, SecretPath path) {
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name(), operation, path.value()));
    }
}
