package dev.lanyard.auth;

import java.time.Instant;

/**
 * What may be shown of an API token: never its secret or hash.
 *
 * @param name      the identity it stands for: policies bind {@code token:<name>}
 * @param createdBy {@code bootstrap} for tokens from configuration, else the subject of the administrator
 */
public record ApiToken(String id, String name, Instant createdAt, String createdBy, Instant expiresAt, Instant revokedAt,
                       String revokedBy) {}
