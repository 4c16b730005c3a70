package dev.lanyard.backend.vault;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Vault / OpenBao backend instances, keyed by backend name: {@code lanyard.vault."<name>".address=...}. */
@ConfigMapping(prefix = "lanyard.vault")
public interface VaultBackendConfig {

    @WithParentName
    Map<String, Instance> instances();

    interface Instance {
        /** Set to false to keep an instance's configuration without serving it. */
        @WithDefault("true")
        boolean enabled();

        /** Base URL of the Vault/OpenBao server, e.g. {@code https://vault.internal:8200}. */
        String address();

        /** Vault Enterprise namespace; empty for OpenBao and the root namespace. */
        Optional<String> namespace();

        /**
         * Mounts served by the KV version 2 engine: {@code GET /v1/secrets/<name>/<mount>/<path>} reads
         * {@code <mount>/data/<path>}, latest or {@code ?version=N}.
         */
        @WithDefault("secret")
        List<String> kvV2Mounts();

        /** Mounts served by the KV version 1 engine: plain reads, no versions. */
        Optional<List<String>> kvV1Mounts();

        /**
         * Mounts of other engines whose reads change nothing and return no lease (for example a PKI mount's
         * {@code ca/pem}). Lanyard cannot tell a harmless read from one that mints a credential, so they are listed
         * explicitly; a read there that comes back with a lease is revoked at once and refused.
         */
        Optional<List<String>> readOnlyMounts();

        /**
         * Mounts of dynamic engines Lanyard issues from: {@code POST /v1/creds/<name>/<mount>/creds/<role>}. Every
         * issued credential is tracked, capped per identity and revocable. Reads never reach these mounts.
         */
        @WithDefault("database")
        List<String> dynamicMounts();

        /** TLS to Vault. Vault's own environment variables ({@code VAULT_SSL_*}) are ignored. */
        Tls tls();

        /** Time allowed to open a connection; keep it short so an unreachable Vault fails requests fast. */
        @WithDefault("2s")
        Duration connectTimeout();

        /** Time allowed for Vault to answer once connected. */
        @WithDefault("5s")
        Duration readTimeout();

        /** How Lanyard logs in to Vault. */
        Auth auth();

        /** The tokens dynamic credentials are issued under, which must outlive them. */
        Issuing issuing();
    }

    /**
     * Vault revokes every lease with the token it was created under, so a credential can only work as long as that
     * token lives. Lanyard's own login token does not live long enough once AppRole or Kubernetes auth hands out tokens
     * with a max TTL (Lanyard logs in again and the old token runs out), nor across a restart. With a token role,
     * credentials are issued under orphan <em>issuing tokens</em> made through it: each lives
     * {@code credential-max-ttl + rotate-after}, needs no renewal and is used for {@code rotate-after} only, so every
     * credential issued under one can live {@code credential-max-ttl}, whatever happens to Lanyard's login or process.
     */
    interface Issuing {
        /**
         * The Vault token role ({@code auth/token/roles/<name>}, {@code orphan=true}) issuing tokens are created
         * through. Required with {@code approle} and {@code kubernetes} auth. Without it (token auth only) credentials
         * are issued under Lanyard's own token, and never promised past that token's expiry.
         */
        Optional<String> tokenRole();

        /**
         * The longest a credential from this backend is promised to work, counted from its issue: its
         * {@code expires_at} is never later, and renewals stop extending it there.
         */
        @WithDefault("24h")
        Duration credentialMaxTtl();

        /** How long one issuing token issues credentials before the next one is made. */
        @WithDefault("1h")
        Duration rotateAfter();
    }

    interface Tls {
        /**
         * PEM file with the CA certificate(s) that sign Vault's server certificate, when it is not signed by a CA
         * the JVM trusts. Unset: the JVM's default trust store.
         */
        Optional<Path> caFile();
    }

    interface Auth {
        /** {@code token}, {@code approle} or {@code kubernetes}. */
        @WithDefault("token")
        Method method();

        /** For {@code token}: reference to the token, {@code file:...} or {@code env:...}. */
        Optional<String> token();

        /** For {@code approle}: the role id (not secret). */
        Optional<String> roleId();

        /** For {@code approle}: reference to the secret id. */
        Optional<String> secretId();

        /** For {@code kubernetes}: the Vault role to log in as. */
        Optional<String> role();

        /** For {@code kubernetes}: the projected ServiceAccount token to present. */
        @WithDefault("file:/var/run/secrets/kubernetes.io/serviceaccount/token")
        String jwt();

        /** Mount path of the auth method; defaults to the method's name ({@code approle}, {@code kubernetes}). */
        Optional<String> mount();

        /** Renew Lanyard's own token once this fraction of its TTL has passed. */
        @WithDefault("0.66")
        double renewAt();

        /** How often the token's age is checked. */
        @WithDefault("5s")
        Duration checkInterval();
    }

    enum Method {
        TOKEN, APPROLE, KUBERNETES
    }
}
