package dev.lanyard.vaultapi;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The Vault-compatible API: Vault's HTTP API, as far as its clients read secrets, issue and renew credentials and log in,
 * served under {@code /vault} ({@code VAULT_ADDR=https://lanyard:8200/vault}). Every request is a caller of the broker
 * and the audited access like any other; nothing is passed through to a backend.
 *
 * <pre>
 * lanyard.vault-api.enabled=true
 * lanyard.vault-api.mounts."secret".backend=openbao
 * lanyard.vault-api.mounts."secret".type=kv-v2
 * lanyard.vault-api.mounts."database".backend=openbao
 * lanyard.vault-api.mounts."database".type=database
 * lanyard.vault-api.mounts."aws".backend=aws
 * lanyard.vault-api.mounts."aws".type=aws
 * </pre>
 */
@ConfigMapping(prefix = "lanyard.vault-api")
public interface VaultApiConfig {

    /** Serve the Vault-compatible API under {@code /vault/v1/}. Off by default: another surface is another exposure. */
    @WithDefault("false")
    boolean enabled();

    /**
     * Vault-style mounts by the name clients use ({@code secret} in {@code secret/data/myapp/db}); a name may have more
     * than one segment ({@code team/kv}). Each is one Lanyard backend and kind.
     */
    Map<String, Mount> mounts();

    /** {@code auth/<mount>/login}: a Kubernetes ServiceAccount JWT exchanged for a login token. */
    Login login();

    interface Mount {
        /** The Lanyard backend the mount stands for (a name under {@code lanyard.vault.*}, {@code lanyard.aws.*} …). */
        String backend();

        /**
         * What Vault engine it speaks as: {@code kv-v2} ({@code data/<path>}, {@code metadata/<path>}), {@code database}
         * ({@code creds/<role>}, leased) or {@code aws} ({@code creds/<role>} and {@code sts/<role>}, with the AWS
         * engine's field names).
         */
        Type type();

        /**
         * Where in the backend the mount points. A KV v2 secret {@code <mount>/data/<p>} is {@code <path>/<p>} in the
         * backend (the whole backend when empty); a database role {@code <mount>/creds/<r>} is {@code <path>/creds/<r>};
         * an AWS role is {@code <path>/<r>}. Default: the mount's name for {@code kv-v2} and {@code database}, {@code sts}
         * for {@code aws} (where Lanyard's AWS backend issues from).
         */
        Optional<String> path();
    }

    /** The Vault engines a mount can speak as. */
    enum Type {
        KV_V2, DATABASE, AWS
    }

    interface Login {
        /** How long a login token lives, and what a renewal grants when the client asks for no increment. */
        @WithDefault("1h")
        Duration ttl();

        /** No renewal takes a login token past this, counted from the login; then the client logs in again. */
        @WithDefault("24h")
        Duration maxTtl();
    }
}
