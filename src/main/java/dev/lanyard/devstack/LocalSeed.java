package dev.lanyard.devstack;

import java.nio.file.Path;

/** Seeds the local store with the demo secret. Filled in once the local backend lands. */
final class LocalSeed {
    private LocalSeed() {}

    static void seed(Path store, String keyReference) {
        // replaced when the local backend is merged
    }
}
