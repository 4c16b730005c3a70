package dev.lanyard.backend.local;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.nio.file.Path;
import java.util.Map;

/**
 * Built-in encrypted store instances, keyed by backend name:
 * {@code lanyard.local."<name>".store-dir=...}, {@code lanyard.local."<name>".key=file:...}.
 */
@ConfigMapping(prefix = "lanyard.local")
public interface LocalConfig {

    @WithParentName
    Map<String, Instance> instances();

    interface Instance {
        /** Set to false to keep an instance's configuration without serving it. */
        @WithDefault("true")
        boolean enabled();

        /**
         * Directory holding the encrypted store. Created (mode 0700 where the filesystem supports POSIX
         * permissions) if it does not exist; its parent must then be writable. One Lanyard process owns it.
         */
        Path storeDir();

        /**
         * Reference to the store's encryption key, {@code file:<path>} or {@code env:<VARIABLE>}, never the key
         * itself. The referenced value is a base64-encoded 32-byte AES-256 key; losing it makes the store unreadable.
         */
        String key();
    }
}
