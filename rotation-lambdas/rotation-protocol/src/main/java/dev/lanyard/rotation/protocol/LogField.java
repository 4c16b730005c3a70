package dev.lanyard.rotation.protocol;

/**
 * The fields a log line may carry beyond the rotation's own (step, secret, version, request). A closed list, so no
 * call site can put a password or a secret value into a log line under a name of its choosing.
 */
public enum LogField {
    /** A database user name. */
    USERNAME("username"),
    /** A database host name. */
    HOST("host"),
    /** A staging label. */
    STAGE("stage"),
    /** Whether a connection used TLS. */
    TLS("tls"),
    /** The SQLSTATE of a failed database call. */
    SQL_STATE("sqlState"),
    /** The type of the exception a step failed with. */
    ERROR_TYPE("errorType"),
    /** The Secrets Manager error code of a failed call. */
    ERROR_CODE("errorCode"),
    /** The algorithm of a generated key pair. */
    ALGORITHM("algorithm");

    private final String key;

    LogField(String key) {
        this.key = key;
    }

    String key() {
        return key;
    }
}
