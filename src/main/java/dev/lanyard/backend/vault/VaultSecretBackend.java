package dev.lanyard.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.SecretVersion;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendException;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.BlockingCalls;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.HealthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.VaultResponse;
import io.smallrye.mutiny.Uni;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Vault / OpenBao through the Vault Java driver.
 *
 * <p>The driver is blocking (HTTP calls on the calling thread), so every call runs on a <b>virtual thread</b>
 * through {@link BlockingCalls}. Timeouts on the driver keep an unreachable Vault from holding requests.
 */
final class VaultSecretBackend implements SecretBackend {

    private static final Logger LOG = Logger.getLogger(VaultSecretBackend.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final VaultMounts mounts;
    private final VaultSession session;
    private final InstantSource clock;
    private final BlockingCalls calls = new BlockingCalls("vault-call-");
    private final ScheduledExecutorService tokenMaintenance = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("vault-token-").factory());

    VaultSecretBackend(String name, VaultBackendConfig.Instance config, VaultSession session, InstantSource clock) {
        this.name = name;
        this.mounts = VaultMounts.of(config);
        this.session = session;
        this.clock = clock;
        long interval = config.auth().checkInterval().toMillis();
        tokenMaintenance.scheduleWithFixedDelay(this::maintainToken, interval, interval, TimeUnit.MILLISECONDS);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return VaultBackendFactory.CAPABILITIES;
    }

    @Override
    public Uni<Secret> read(SecretPath path, Optional<String> version) {
        VaultMounts.Read route = mounts.read(path);
        if (route == VaultMounts.Read.REFUSED) {
            // Not a declared secrets mount: Vault's own API, a dynamic engine (a read there would mint a credential
            // nobody tracks, caps or can revoke), or an engine nobody vouched for. Refused without a call.
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "read", path.value()));
        }
        if (version.isPresent() && route != VaultMounts.Read.KV_V2) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "read a version of", path.value()));
        }
        Optional<Integer> number;
        try {
            number = version.map(SecretVersion::parse);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        return blocking("read", path.value(), () -> {
            String apiPath = route == VaultMounts.Read.KV_V2
                    ? kvV2DataPath(path) + number.map(n -> "?version=" + n).orElse("") : path.value();
            LogicalResponse response = session.client().logical().read(apiPath);
            checkStatus(response, "read", path.value());
            if (response.getLeaseId() != null && !response.getLeaseId().isEmpty()) {
                // A read-only mount that answered with a lease minted something: give it back and serve nothing.
                revokeQuietly(response.getLeaseId());
                throw new UnsupportedBackendOperationException(name, "read", path.value());
            }
            JsonNode data = parse(response).path("data");
            Optional<String> actualVersion = Optional.empty();
            if (route == VaultMounts.Read.KV_V2) {
                JsonNode metadata = data.path("metadata");
                // KV v2 answers a deleted or destroyed version with null data: for a reader it does not exist.
                if (data.path("data").isNull() || metadata.path("deletion_time").asText("").length() > 0 || metadata.path("destroyed").asBoolean()) {
                    throw new SecretNotFoundException(name, "read", path.value());
                }
                actualVersion = Optional.of(metadata.path("version").asText());
                data = data.path("data");
            }
            // Static values carry no lease; the broker decides how long to cache them.
            Lease lease = Lease.of(null, clock.instant(), Duration.ZERO, false);
            return new Secret(new SecretRef(name, path), fields(data), actualVersion, lease);
        });
    }

    private void revokeQuietly(String leaseId) {
        try {
            session.client().leases().revoke(leaseId);
        } catch (VaultException | RuntimeException e) {
            LOG.warnf("backend %s: a lease returned by a read could not be revoked (%s); it expires with its TTL",
                    name, describeFailure(e));
        }
    }

    /** KV v2 serves values under {@code <mount>/data/<path>}; the driver's own rewriting matches exact paths only. */
    private static String kvV2DataPath(SecretPath path) {
        return path.mount() + "/data/" + path.withinMount();
    }

    /** Field values as text: strings as they are, anything else (numbers, objects) as its JSON. */
    private static SecretValue fields(JsonNode data) {
        Map<String, String> fields = new LinkedHashMap<>();
        data.properties().forEach(e -> fields.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        return SecretValue.ofStrings(fields);
    }

    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        if (!mounts.issuable(rolePath)) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "issue", rolePath.value()));
        }
        return blocking("issue", rolePath.value(), () -> {
            Instant issuedAt = clock.instant();
            LogicalResponse response = session.client().logical().read(rolePath.value());
            checkStatus(response, "issue", rolePath.value());
            if (response.getLeaseId() == null || response.getLeaseId().isEmpty()) {
                throw new BackendRejectedException(name, "issue", rolePath.value(), response.getRestResponse().getStatus());
            }
            Lease lease = Lease.of(response.getLeaseId(), issuedAt, Duration.ofSeconds(response.getLeaseDuration()),
                    Boolean.TRUE.equals(response.getRenewable()));
            return new Secret(new SecretRef(name, rolePath), fields(parse(response).path("data")), Optional.empty(), lease);
        });
    }

    @Override
    public Uni<Lease> renew(String leaseId, Duration increment) {
        return blocking("renew", leasePath(leaseId), () -> {
            Instant now = clock.instant();
            VaultResponse response = session.client().leases().renew(leaseId, increment.toSeconds());
            checkStatus(response, "renew", leasePath(leaseId));
            JsonNode body = parse(response);
            return Lease.of(body.path("lease_id").asText(leaseId), now,
                    Duration.ofSeconds(body.path("lease_duration").asLong()), body.path("renewable").asBoolean());
        });
    }

    @Override
    public Uni<Void> revoke(String leaseId) {
        return blocking("revoke", leasePath(leaseId), () -> {
            VaultResponse response = session.client().leases().revoke(leaseId);
            checkStatus(response, "revoke", leasePath(leaseId));
            return null;
        });
    }

    @Override
    public Uni<BackendHealth> health() {
        return Uni.createFrom().item(() -> {
            try {
                HealthResponse health = session.client().debug().health();
                if (Boolean.TRUE.equals(health.getSealed())) {
                    return BackendHealth.unhealthy("sealed");
                }
                Optional<Instant> expiry = session.expiresAt();
                if (expiry.isPresent() && !clock.instant().isBefore(expiry.get())) {
                    return BackendHealth.unhealthy("Lanyard's Vault token has expired");
                }
                return BackendHealth.healthy();
            } catch (VaultException e) {
                return BackendHealth.unhealthy(describeFailure(e));
            } catch (RuntimeException e) {
                return BackendHealth.unhealthy("health check failed: " + e.getClass().getSimpleName());
            }
        }).runSubscriptionOn(calls.executor());
    }

    @Override
    public void close() {
        tokenMaintenance.shutdownNow();
        calls.close();
    }

    VaultSession session() {
        return session;
    }

    private void maintainToken() {
        try {
            session.renewIfDue();
        } catch (VaultException | RuntimeException e) {
            LOG.warnf("backend %s: keeping Lanyard's Vault token alive failed: %s", name, describeFailure(e));
        }
    }

    /** Lease ids are bearer handles: failures name only their engine prefix, never the full id. */
    private static String leasePath(String leaseId) {
        int lastSlash = leaseId.lastIndexOf('/');
        return "lease:" + (lastSlash < 0 ? "?" : leaseId.substring(0, lastSlash) + "/…");
    }

    private void checkStatus(VaultResponse response, String operation, String path) {
        int status = response.getRestResponse().getStatus();
        if (status >= 200 && status < 300) {
            return;
        }
        throw translate(status, operation, path, null);
    }

    private BackendException translate(int status, String operation, String path, Throwable cause) {
        if (status == 404 || (status == 400 && (operation.equals("renew") || operation.equals("revoke")))) {
            return new SecretNotFoundException(name, operation, path);
        }
        if (status == 0 || status >= 500 || status == 429) {
            return new BackendUnavailableException(name, operation, path,
                    status == 0 ? describeFailure(cause) : "backend answered " + status, cause);
        }
        return new BackendRejectedException(name, operation, path, status);
    }

    private static JsonNode parse(VaultResponse response) throws IOException {
        byte[] body = response.getRestResponse().getBody();
        return body == null || body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
    }

    private static String describeFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof HttpTimeoutException || t instanceof SocketTimeoutException) {
                return "timed out";
            }
        }
        if (failure instanceof VaultException e && e.getHttpStatusCode() > 0) {
            return "backend answered " + e.getHttpStatusCode();
        }
        return "unreachable";
    }

    private <T> Uni<T> blocking(String operation, String path, BlockingCalls.Call<T> call) {
        return calls.run(call, failure -> failure instanceof VaultException e
                ? translate(e.getHttpStatusCode(), operation, path, e)
                : new BackendUnavailableException(name, operation, path, "unexpected reply", null));
    }

    Map<String, Object> describeSession() {
        return session.describe();
    }
}
