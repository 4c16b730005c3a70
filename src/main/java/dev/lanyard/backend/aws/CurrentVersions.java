package dev.lanyard.backend.aws;

import dev.lanyard.secret.SecretValue;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The current version last read of each recently read secret, so that a read after the broker's cache expired costs a
 * {@code DescribeSecret} (no value crosses the wire) while the current version id is unchanged, and one
 * {@code GetSecretValue} per change: what AWS's own caching client does. Least recently used entries go first, and
 * their bytes are zeroed as they go.
 */
final class CurrentVersions {

    private record Entry(String versionId, Map<String, byte[]> fields) {
        void zero() {
            fields.values().forEach(bytes -> Arrays.fill(bytes, (byte) 0));
        }
    }

    /** What a caller gets: its own copy of the value, to close when done. */
    record Known(String versionId, SecretValue value) {}

    private final int capacity;
    private final LinkedHashMap<String, Entry> entries;

    CurrentVersions(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true);
    }

    boolean enabled() {
        return capacity > 0;
    }

    /** The version id remembered for {@code secretId}, if any. */
    synchronized Optional<String> versionOf(String secretId) {
        Entry entry = entries.get(secretId);
        return entry == null ? Optional.empty() : Optional.of(entry.versionId());
    }

    /** A copy of the value remembered for {@code secretId} if it is still {@code versionId}. */
    synchronized Optional<Known> ifStill(String secretId, String versionId) {
        Entry entry = entries.get(secretId);
        if (entry == null || !entry.versionId().equals(versionId)) {
            return Optional.empty();
        }
        return Optional.of(new Known(versionId, SecretValue.ofBytes(entry.fields())));
    }

    synchronized void remember(String secretId, String versionId, SecretValue value) {
        if (!enabled()) {
            return;
        }
        Entry previous = entries.put(secretId, new Entry(versionId, value.copyBytes()));
        if (previous != null) {
            previous.zero();
        }
        while (entries.size() > capacity) {
            var eldest = entries.entrySet().iterator();
            eldest.next().getValue().zero();
            eldest.remove();
        }
    }

    synchronized void forget(String secretId) {
        Entry previous = entries.remove(secretId);
        if (previous != null) {
            previous.zero();
        }
    }

    synchronized void clear() {
        entries.values().forEach(Entry::zero);
        entries.clear();
    }
}
