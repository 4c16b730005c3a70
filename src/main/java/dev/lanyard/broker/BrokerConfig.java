package dev.lanyard.broker;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Caching and lease handling in front of the backends. */
@ConfigMapping(prefix = "lanyard.broker")
public interface BrokerConfig {

    /** How long a static secret (KV, local store) is cached and may be cached by clients. */
    @WithDefault("60s")
    Duration staticTtl();

    /**
     * Fraction of a value's lifetime after which clients are told to refresh. With the jitter below, a fleet that
     * fetched everything at once comes back spread over 0.5 to 0.8 of the lifetime, which flattens its backend calls
     * within two lifetimes (bench/fleet-simulation.sh); a narrower spread kept the rollout's wave for many.
     */
    @WithDefault("0.8")
    double refreshAt();

    /** Up to this fraction of the lifetime is subtracted at random from the refresh point. */
    @WithDefault("0.3")
    double refreshJitter();

    /** Most live (unexpired, unrevoked) leases one identity may hold. */
    @WithDefault("100")
    int maxLeasesPerIdentity();

    /**
     * How long a place under {@link #maxLeasesPerIdentity()} is held for an issue in flight. An issue that ends
     * confirms or releases it; one whose replica died frees it after this.
     */
    @WithDefault("1m")
    Duration issueHold();

    /** Lease extension requested on renew when the caller does not ask for one. */
    @WithDefault("1h")
    Duration defaultRenewIncrement();

    /**
     * Longest one backend call may take, every request it makes to the backend included (a Vault call that logs in again
     * and retries, an issue that first makes an issuing token). Past it the call fails as {@code BACKEND_UNAVAILABLE}
     * (503) and counts towards the circuit breaker. Keep it above the backends' own per-request timeouts (Vault's
     * {@code read-timeout}, AWS's {@code call-timeout}), which close their connections: this is the bound over all of them.
     */
    @WithDefault("10s")
    Duration backendTimeout();

    /** Circuit breaker per backend: consecutive-window failure ratio that opens it. */
    @WithDefault("0.5")
    double breakerFailureRatio();

    /** Circuit breaker: calls in the rolling window before it may open. */
    @WithDefault("10")
    int breakerVolume();

    /** Circuit breaker: how long it stays open before letting a probe through. */
    @WithDefault("5s")
    Duration breakerDelay();

    /**
     * How long after it was fetched the last good value of a static secret (KV, Secrets Manager, the local store) may
     * still be served when its backend cannot be reached ({@code stale-if-error}, as the AWS caching client and Vault
     * Agent do). Each such answer is audited with the outcome {@code stale} and the code {@code BACKEND_UNAVAILABLE},
     * and tells the client to come back at the next retry. {@code 0s} (the default) never serves a stale value.
     * Dynamic credentials are never served past their {@code expires_at}, whatever this says.
     */
    @WithDefault("0s")
    Duration staleIfError();

    /** While a stale value is served, how soon the client is told to come back ({@code refresh_after}). */
    @WithDefault("5s")
    Duration staleRetryAfter();

    /**
     * Whether changes (a write, a finished rotation, a revoked lease) are relayed to and from the other replicas through
     * PostgreSQL {@code LISTEN/NOTIFY} on channel {@code lanyard_changes}, so their caches drop stale copies at once.
     * Formerly {@code lanyard.rotation.relay}, which is now refused at start-up.
     */
    @WithDefault("true")
    boolean relay();
}
