package dev.lanyard.spi;

import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.util.Optional;

/**
 * One configured secret backend instance (an OpenBao cluster, an AWS account, the local store).
 *
 * <p>Every operation is non-blocking for the caller: implementations that wrap a blocking client must
 * move the call off the event loop themselves. Failures are reported as {@link BackendException}
 * subtypes, which carry the operation and path but never a secret value or lease id.
 */
public interface SecretBackend extends AutoCloseable {

    /** The instance name from configuration; the first segment of every {@code SecretRef} string. */
    String name();

    /** What this instance can do; the broker refuses operations outside it before calling. */
    java.util.Set<BackendCapability> capabilities();

    /**
     * Reads a static secret.
     *
     * @param version a backend version id, or empty for the current version
     * @return the secret; fails with {@link SecretNotFoundException} when path or version does not exist
     */
    Uni<Secret> read(SecretPath path, Optional<String> version);

    /**
     * Issues a new leased credential from a dynamic engine (for Vault: any {@code <mount>/creds/<role>}).
     *
     * @return a secret whose lease carries the backend lease id
     */
    Uni<Secret> issue(SecretPath rolePath);

    /**
     * Extends a lease. The backend may grant less than asked for (max TTL).
     *
     * @param increment requested extension from now
     * @return the lease as the backend now holds it
     */
    Uni<Lease> renew(String leaseId, Duration increment);

    /** Revokes a lease; the credential stops working when this completes. Revoking twice succeeds. */
    Uni<Void> revoke(String leaseId);

    /** Whether the backend is reachable and usable, with a reason when it is not. Never fails. */
    Uni<BackendHealth> health();

    /** Releases connections and background work (such as token renewal). */
    @Override
    void close();
}
