package dev.lanyard.it;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * For test classes that change state other tests rely on (pruning the audit log, stopping a backend): a profile of its
 * own makes Quarkus start a fresh application with fresh peers ({@link RealPeers}) for them. Quarkus's JUnit
 * integration orders test classes by profile (QuarkusTestProfileAwareClassOrderer), so each profile starts once and no
 * class depends on running before or after another.
 */
public interface OwnPeers {

    /** Retention prunes the oldest events. */
    final class Retention implements QuarkusTestProfile {}

    /** Owner-level tampering and pruning. */
    final class DatabaseEnforcement implements QuarkusTestProfile {}

    /** A backend stopped for good, and the audit table's privileges changed. */
    final class Outage implements QuarkusTestProfile {}
}
