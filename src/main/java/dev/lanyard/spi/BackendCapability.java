package dev.lanyard.spi;

/** Operations a backend type supports; checked before a call is attempted. */
public enum BackendCapability {
    /** Read static secrets. */
    READ,
    /** Read earlier versions of static secrets. */
    VERSIONS,
    /** Issue leased dynamic credentials. */
    ISSUE,
    /** Renew leases it issued. */
    RENEW,
    /** Revoke leases it issued. */
    REVOKE
}
