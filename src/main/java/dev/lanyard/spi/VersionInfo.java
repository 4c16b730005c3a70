package dev.lanyard.spi;

import dev.lanyard.secret.Stage;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One readable version of a static secret as {@link SecretBackend#versions} lists it: never its value.
 *
 * @param createdAt when the backend stored it, where the backend records that
 * @param stages    the stages it holds; empty for a version that is kept but no longer staged
 */
public record VersionInfo(String id, Optional<Instant> createdAt, Set<Stage> stages) {
    public VersionInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        stages = Set.copyOf(stages);
    }

    public boolean holds(Stage stage) {
        return stages.contains(stage);
    }
}
