package dev.lanyard.backend.vault;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Vault backend configuration as SmallRye would bind it, for building sessions and backends without Quarkus. */
final class TestVaultConfig {

    private TestVaultConfig() {}

    static final class Auth implements VaultBackendConfig.Auth {
        private final VaultBackendConfig.Method method;
        private String token;
        private String roleId;
        private String secretId;
        private String role;
        private String jwt = "file:/nonexistent";
        private String mount;
        private Duration checkInterval = Duration.ofSeconds(5);

        Auth(VaultBackendConfig.Method method) {
            this.method = method;
        }

        Auth token(Path file) {
            this.token = "file:" + file;
            return this;
        }

        Auth roleId(String value) {
            this.roleId = value;
            return this;
        }

        Auth secretId(String reference) {
            this.secretId = reference;
            return this;
        }

        Auth role(String value) {
            this.role = value;
            return this;
        }

        Auth jwt(String reference) {
            this.jwt = reference;
            return this;
        }

        Auth mount(String path) {
            this.mount = path;
            return this;
        }

        Auth checkInterval(Duration interval) {
            this.checkInterval = interval;
            return this;
        }

        @Override public VaultBackendConfig.Method method() { return method; }
        @Override public Optional<String> token() { return Optional.ofNullable(token); }
        @Override public Optional<String> roleId() { return Optional.ofNullable(roleId); }
        @Override public Optional<String> secretId() { return Optional.ofNullable(secretId); }
        @Override public Optional<String> role() { return Optional.ofNullable(role); }
        @Override public String jwt() { return jwt; }
        @Override public Optional<String> mount() { return Optional.ofNullable(mount); }
        @Override public double renewAt() { return 0.66; }
        @Override public Duration checkInterval() { return checkInterval; }
    }

    /** KV v2 on {@code secret}, the database engine on {@code database}, as a dev server has them. */
    record Instance(String address, VaultBackendConfig.Auth auth, VaultBackendConfig.Issuing issuing) implements VaultBackendConfig.Instance {
        /** Issuing under Lanyard's own token, as token auth may. */
        Instance(String address, VaultBackendConfig.Auth auth) {
            this(address, auth, Issuing.underLoginToken());
        }

        @Override public boolean enabled() { return true; }
        @Override public Optional<String> namespace() { return Optional.empty(); }
        @Override public List<String> kvV2Mounts() { return List.of("secret"); }
        @Override public Optional<List<String>> kvV1Mounts() { return Optional.empty(); }
        @Override public Optional<List<String>> readOnlyMounts() { return Optional.empty(); }
        @Override public List<String> dynamicMounts() { return List.of("database"); }
        @Override public VaultBackendConfig.Tls tls() { return Optional::empty; }
        @Override public Duration connectTimeout() { return Duration.ofSeconds(2); }
        @Override public Duration readTimeout() { return Duration.ofSeconds(5); }
    }

    /** {@code issuing.*}; the defaults are 24h and 1h. */
    record Issuing(Optional<String> tokenRole, Duration credentialMaxTtl, Duration rotateAfter) implements VaultBackendConfig.Issuing {
        static Issuing underLoginToken() {
            return new Issuing(Optional.empty(), Duration.ofHours(24), Duration.ofHours(1));
        }

        static Issuing through(String tokenRole) {
            return new Issuing(Optional.of(tokenRole), Duration.ofHours(24), Duration.ofHours(1));
        }

        Issuing credentialMaxTtl(Duration ttl) {
            return new Issuing(tokenRole, ttl, rotateAfter);
        }
    }
}
