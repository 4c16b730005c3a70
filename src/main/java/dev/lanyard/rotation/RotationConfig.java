package dev.lanyard.rotation;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The rotation engine: how it polls, claims, retries and gives up. */
@ConfigMapping(prefix = "lanyard.rotation")
public interface RotationConfig {

    /**
     * How often each replica looks for due schedules and runs to execute ({@code 1s}); {@code off} stops the engine on
     * this replica (runs and schedules are still managed through the API, and other replicas execute them).
     */
    @WithDefault("1s")
    String pollInterval();

    /**
     * How long a replica's claim on a run lasts without renewal. A replica renews it before every step, so it must be
     * longer than {@link #stepTimeout()}; a replica that dies has its run taken over once the claim expires.
     */
    @WithDefault("90s")
    Duration claimLease();

    /** A step that takes longer than this is abandoned and retried, like a failure. */
    @WithDefault("30s")
    Duration stepTimeout();

    /** Attempts per step before the run is rolled back and marked failed. */
    @WithDefault("6")
    int maxAttempts();

    /** Delay before the first retry of a step; it doubles with each attempt, with up to half taken off at random. */
    @WithDefault("2s")
    Duration backoffBase();

    /** Longest delay between two attempts of a step. */
    @WithDefault("5m")
    Duration backoffMax();

    /** A run whose current step began longer ago than this is marked stuck and left for an operator. */
    @WithDefault("30m")
    Duration stuckAfter();

    /**
     * The time a run may need, retries included: a rotation window shorter than this is refused, and jitter may use
     * only what the window leaves beyond it.
     */
    @WithDefault("10m")
    Duration runBudget();

    /** This replica's name in claims and step records; a random one per start when unset. */
    Optional<String> replica();

    /**
     * The database servers whose logins rotation may change, by the name schedules give as their {@code target}
     * ({@code lanyard.rotation.targets."payments-db".host=…}). Only an operator declares them: a schedule cannot name a
     * host, so whoever may rotate a secret cannot make Lanyard log in anywhere else with it (docs/rotation.md).
     */
    Map<String, Target> targets();

    /** One declared PostgreSQL server. */
    interface Target {
        /** Host name (verified against the server's certificate under {@code verify-full}) or IP address. */
        String host();

        @WithDefault("5432")
        int port();

        /** The database Lanyard connects to; any database the rotated roles may connect to. */
        String database();

        /**
         * {@code verify-full} (TLS, the certificate chains to {@link #sslRootCert()} and names {@link #host()}),
         * {@code verify-ca} (TLS, the chain only), {@code require} (TLS without verifying the server: accepted only
         * with {@code channel-binding=require}) or {@code disable} (no TLS: accepted only for a loopback host, such as
         * a sidecar proxy). Modes that fall back to plaintext ({@code prefer}, {@code allow}) are refused.
         */
        @WithDefault("verify-full")
        String sslMode();

        /** PEM file with the CA certificate(s) of the server's certificate; unset: the JVM's default trust store. */
        Optional<Path> sslRootCert();

        /**
         * {@code prefer}: SCRAM with channel binding whenever the server offers it over TLS; {@code require}: refuse any
         * login that is not SCRAM with channel binding, so no password or password hash is ever sent.
         */
        @WithDefault("prefer")
        String channelBinding();
    }
}
