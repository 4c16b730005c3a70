package dev.lanyard.it;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * For test classes that change state other tests rely on (pruning the audit log, stopping a backend): a profile of its
 * own makes Quarkus start a fresh application with fresh peers ({@link RealPeers}) for them. Quarkus's JUnit
 * integration orders test classes by profile (QuarkusTestProfileAwareClassOrderer), so each profile starts once and no
 * class depends on running before or after another.
 */
public interface OwnPeers {

    /** Retention prunes the oldest events. */
    final class Retention implements QuarkusTestProfile {}

    /** Owner-level tampering and pruning, with checkpoints published to an S3 Object Lock bucket as in production. */
    final class DatabaseEnforcement implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(MotoResource.class));
        }
    }

    /** Rows the app role forges at the head of the log, and their quarantine by the schema owner. */
    final class ForeignRows implements QuarkusTestProfile {}

    /**
     * A backend stopped for good, and the audit table's privileges changed. Static values may be served stale for ten
     * minutes after they were fetched, so the outage shows both sides: what was read before it, and what was not.
     */
    final class Outage implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("lanyard.broker.stale-if-error", "10m");
        }
    }
}
