package dev.lanyard.rotation;

import jakarta.inject.Singleton;
import java.util.UUID;

/** This replica's name in claims, step records and relayed changes: configured, or fresh at each start. */
@Singleton
class Replica {

    private final String name;

    Replica(RotationConfig config) {
        this.name = config.replica().orElseGet(() -> "replica-" + UUID.randomUUID().toString().substring(0, 8));
    }

    String name() {
        return name;
    }
}
