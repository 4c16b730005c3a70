package dev.lanyard.it;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * For test classes that change state other tests rely on (pruning the audit log, stopping a backend): a profile of its
 * own makes Quarkus start a fresh application with fresh peers ({@link LanyardPeers}) for them, and the class orderer
 * in junit-platform.properties runs the classes of one profile together.
 */
public interface OwnPeers {

    /** Retention prunes the oldest events. */
    final class Retention implements QuarkusTestProfile {}

    /** Owner-level tampering and pruning. */
    final class DatabaseEnforcement implements QuarkusTestProfile {}
}
