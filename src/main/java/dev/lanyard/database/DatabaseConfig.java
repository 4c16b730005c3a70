package dev.lanyard.database;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * The service's connection to PostgreSQL (the reactive pool every store shares) and how long it waits on it. The
 * Vert.x client has no per-query timeout of its own, and PostgreSQL's {@code statement_timeout} cannot help when the
 * packets are lost on the way: these deadlines are kept on the client, and a connection that misses one is closed,
 * never handed out again. See docs/configuration.md, "Database".
 */
@ConfigMapping(prefix = "lanyard.database")
public interface DatabaseConfig {

    /** The role the service connects as; the migrations grant it its privileges (a Flyway placeholder). */
    @WithDefault("lanyard_app")
    String appRole();

    /**
     * Longest time to open a connection: TCP connect, TLS and PostgreSQL's login together. A server that accepts the
     * connection but does not complete the login within it has the attempt closed.
     */
    @WithDefault("5s")
    Duration connectTimeout();

    /**
     * Longest an operation waits for a connection from the pool (all busy, or one being opened); then it fails, and a
     * request that needed it is answered 503.
     */
    @WithDefault("5s")
    Duration acquireTimeout();

    /**
     * Longest a connection may wait for any answer after it sent PostgreSQL something: then it is taken for lost (a
     * black-holed path, a failed-over or hung server), closed, and whatever was in flight on it fails; the pool opens a
     * fresh one. Keep it above every server-side {@code statement_timeout} (the audit log's included), so a slow
     * statement is cancelled by the server first and a closed connection means the path, not the statement.
     */
    @WithDefault("10s")
    Duration responseTimeout();
}
