package dev.lanyard.secret;

import java.time.Instant;

/**
 * This replica may have missed {@link SecretChanged} announcements from other replicas (its relay connection dropped
 * and came back), so nothing it holds can be trusted to be current: the broker drops every cached value and the
 * Kubernetes sync refreshes every resource.
 *
 * @param at when the relay noticed
 */
public record ChangesMissed(Instant at) {}
