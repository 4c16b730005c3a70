package dev.lanyard.rotation.postgres;

import java.sql.SQLException;

/**
 * A database statement of a step failed. The message says which statement, for which user, and PostgreSQL's
 * SQLSTATE; passwords never reach the message, because they are sent to the server only as SCRAM verifiers.
 */
public class DatabaseException extends RuntimeException {
    private final String sqlState;

    public DatabaseException(String message, SQLException cause) {
        super(message + " (SQLSTATE " + cause.getSQLState() + ")", cause);
        this.sqlState = cause.getSQLState();
    }

    public String sqlState() {
        return sqlState;
    }
}
