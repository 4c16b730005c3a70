package dev.lanyard.backend.vault;

import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretBackendFactory;
import dev.lanyard.support.SecretReference;
import dev.lanyard.support.TlsTrust;
import io.github.jopenlibs.vault.EnvironmentLoader;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** Creates {@code vault} backends: HashiCorp Vault or OpenBao, which share one HTTP API. */
@ApplicationScoped
public class VaultBackendFactory implements SecretBackendFactory {

    /** An environment with no variables, so the driver never reads {@code VAULT_*} from the process. */
    private static final EnvironmentLoader NO_ENVIRONMENT = new EnvironmentLoader() {
        @Override
        public String loadVariable(String name) {
            return null;
        }
    };

    /** What an instance can declare; one without a KV v2 mount declares neither writes nor stages. */
    static final Set<BackendCapability> CAPABILITIES = EnumSet.allOf(BackendCapability.class);

    private final VaultBackendConfig config;
    private final InstantSource clock;

    VaultBackendFactory(VaultBackendConfig config, InstantSource clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    public String type() {
        return "vault";
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Set<String> configuredInstances() {
        return SecretBackendFactory.enabledNames(config.instances(), VaultBackendConfig.Instance::enabled);
    }

    @Override
    public List<String> validate(String instance) {
        VaultBackendConfig.Instance settings = config.instances().get(instance);
        List<String> problems = new ArrayList<>();
        try {
            URI address = URI.create(settings.address());
            if (!"http".equals(address.getScheme()) && !"https".equals(address.getScheme()) || address.getHost() == null) {
                problems.add("address must be an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            problems.add("address is not a URL");
        }
        VaultBackendConfig.Auth auth = settings.auth();
        switch (auth.method()) {
            case TOKEN -> requireReference(problems, "auth.token", auth.token().orElse(null));
            case APPROLE -> {
                if (auth.roleId().isEmpty()) {
                    problems.add("auth.role-id is required for approle");
                }
                requireReference(problems, "auth.secret-id", auth.secretId().orElse(null));
            }
            case KUBERNETES -> {
                if (auth.role().isEmpty()) {
                    problems.add("auth.role is required for kubernetes");
                }
                requireReference(problems, "auth.jwt", auth.jwt());
            }
        }
        if (auth.renewAt() <= 0 || auth.renewAt() >= 1) {
            problems.add("auth.renew-at must be between 0 and 1");
        }
        VaultBackendConfig.Issuing issuing = settings.issuing();
        if (auth.method() != VaultBackendConfig.Method.TOKEN && issuing.tokenRole().isEmpty()) {
            problems.add("issuing.token-role is required with auth.method=" + auth.method().name().toLowerCase(Locale.ROOT)
                    + ": Lanyard logs in again when its token reaches its max TTL or Lanyard restarts, and Vault revokes every"
                    + " credential issued under the old token when it runs out (see docs/backends-vault.md)");
        }
        issuing.tokenRole().filter(role -> !role.matches("[A-Za-z0-9_.-]{1,128}"))
                .ifPresent(role -> problems.add("issuing.token-role must be a token role name of [A-Za-z0-9_.-]"));
        if (issuing.credentialMaxTtl().compareTo(Duration.ofMinutes(1)) < 0) {
            problems.add("issuing.credential-max-ttl must be at least 1m");
        }
        if (issuing.rotateAfter().compareTo(Duration.ofSeconds(1)) < 0) {
            problems.add("issuing.rotate-after must be at least 1s");
        }
        problems.addAll(VaultMounts.problems(settings));
        try {
            TlsTrust.context(settings.tls().caFile());
        } catch (IllegalStateException e) {
            problems.add("tls.ca-file: " + e.getMessage());
        }
        return problems;
    }

    private static void requireReference(List<String> problems, String property, String reference) {
        SecretReference.problemWithRequired(property, reference).ifPresent(problems::add);
    }

    @Override
    public SecretBackend create(String instance) {
        VaultBackendConfig.Instance settings = config.instances().get(instance);
        Function<String, Vault> clients = clientFactory(settings);
        VaultSession session = new VaultSession(instance, settings.auth(), clients, clock);
        IssuingTokens issuing = new IssuingTokens(instance, settings.issuing(), session, clients, clock);
        return new VaultSecretBackend(instance, settings, session, issuing, clock);
    }

    /**
     * One driver client per token. It addresses every mount as version 1 (plain paths); the backend builds KV v2
     * paths itself, because the driver's per-mount version setting matches exact secret paths only. The driver
     * would otherwise fill unset options from {@code VAULT_TOKEN}, {@code VAULT_SSL_VERIFY} and friends: it is
     * given no environment, and TLS comes from Lanyard's own configuration.
     */
    static Function<String, Vault> clientFactory(VaultBackendConfig.Instance settings) {
        HttpClient http = new TraceContextHttpClient(HttpClient.newBuilder()
                .sslContext(TlsTrust.context(settings.tls().caFile()))
                .connectTimeout(settings.connectTimeout())
                .build());
        return token -> {
            try {
                VaultConfig driverConfig = new VaultConfig()
                        .environmentLoader(NO_ENVIRONMENT)
                        .httpClient(http)
                        .address(settings.address())
                        .engineVersion(1)
                        .openTimeout((int) Math.max(1, settings.connectTimeout().toSeconds()))
                        .readTimeout((int) Math.max(1, settings.readTimeout().toSeconds()));
                if (token != null) {
                    driverConfig.token(token);
                }
                if (settings.namespace().isPresent()) {
                    driverConfig.nameSpace(settings.namespace().get());
                }
                return Vault.create(driverConfig.build());
            } catch (VaultException e) {
                throw new IllegalStateException("Vault client configuration rejected", e);
            }
        };
    }
}
