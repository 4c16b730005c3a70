package dev.lanyard.spi;

import dev.lanyard.secret.VersionSelector;
import java.util.EnumSet;
import java.util.Set;

/**
 * Operations a backend instance supports. Callers (the broker, the rotation engine) refuse an operation outside
 * {@link SecretBackend#capabilities()} before calling; a backend refuses it too, with
 * {@link UnsupportedBackendOperationException} and before any I/O.
 */
public enum BackendCapability {
    /** Read static secrets: {@link SecretBackend#read} with {@link VersionSelector#current()}. */
    READ,
    /** Read a version by id: {@link SecretBackend#read} with {@link VersionSelector#id(String)}. */
    VERSIONS,
    /**
     * Stages: read by stage, {@link SecretBackend#moveStage}, {@link SecretBackend#versions}, and a
     * {@link SecretBackend#put} that places a stage other than current.
     */
    STAGES,
    /** Write new versions of static secrets: {@link SecretBackend#put}. */
    WRITE,
    /** Issue credentials from a dynamic engine: {@link SecretBackend#issue}. */
    ISSUE,
    /** Renew leases it issued: {@link SecretBackend#renew}. */
    RENEW,
    /** Revoke leases it issued: {@link SecretBackend#revoke}. */
    REVOKE;

    /** Every capability a read with {@code selector} needs. */
    public static Set<BackendCapability> toRead(VersionSelector selector) {
        return switch (selector) {
            case VersionSelector.Current c -> EnumSet.of(READ);
            case VersionSelector.ById v -> EnumSet.of(READ, VERSIONS);
            case VersionSelector.ByStage s -> EnumSet.of(READ, STAGES);
        };
    }

    /** Every capability writing {@code version} needs. */
    public static Set<BackendCapability> toPut(NewVersion version) {
        return version.becomesCurrent() ? EnumSet.of(WRITE) : EnumSet.of(WRITE, STAGES);
    }
}
