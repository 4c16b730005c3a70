package dev.lanyard.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.backend.BlockingCalls;
import dev.lanyard.backend.NumberedVersions;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendHealth;
import dev.lanyard.spi.BackendRejectedException;
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.StageMove;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.VersionInfo;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.HealthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.VaultResponse;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Vault / OpenBao through the Vault Java driver: static secrets on KV v2 mounts ({@link KvV2Secrets}: versions,
 * stages, writes), plain reads on KV v1 and read-only mounts, and leased credentials from dynamic mounts.
 *
 * <p>The driver is blocking (HTTP calls on the calling thread), so every call runs on a <b>virtual thread</b>
 * through {@link BlockingCalls}. Timeouts on the driver keep an unreachable Vault from holding requests. Which
 * paths may be touched at all is {@link VaultMounts}' decision, made before any call.
 */
final class VaultSecretBackend implements SecretBackend {

    private static final Logger LOG = Logger.getLogger(VaultSecretBackend.class);

    private final String name;
    private final VaultMounts mounts;
    private final Set<BackendCapability> capabilities;
    private final VaultSession session;
    private final IssuingTokens issuing;
    private final VaultBackendConfig.Issuing issuingConfig;
    private final VaultFailures failures;
    private final KvV2Secrets kv;
    private final InstantSource clock;
    private final MissingMounts missingMounts = new MissingMounts();
    private final BlockingCalls calls = new BlockingCalls("vault-call-");
    private final ScheduledExecutorService tokenMaintenance = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("vault-token-").factory());

    VaultSecretBackend(String name, VaultBackendConfig.Instance config, VaultSession session, IssuingTokens issuing,
                       InstantSource clock) {
        this.name = name;
        this.mounts = VaultMounts.of(config);
        this.capabilities = capabilities(config);
        this.session = session;
        this.issuing = issuing;
        this.issuingConfig = config.issuing();
        this.failures = new VaultFailures(name, missingMounts, clock);
        this.kv = new KvV2Secrets(name, session, failures, clock);
        this.clock = clock;
        long interval = config.auth().checkInterval().toMillis();
        tokenMaintenance.scheduleWithFixedDelay(this::maintainToken, interval, interval, TimeUnit.MILLISECONDS);
    }

    /** Writes and stages exist only on KV v2; an instance without a KV v2 mount does not declare them. */
    static Set<BackendCapability> capabilities(VaultBackendConfig.Instance config) {
        Set<BackendCapability> declared = EnumSet.of(BackendCapability.READ, BackendCapability.VERSIONS,
                BackendCapability.ISSUE, BackendCapability.RENEW, BackendCapability.REVOKE);
        if (!config.kvV2Mounts().isEmpty()) {
            declared.add(BackendCapability.WRITE);
            declared.add(BackendCapability.STAGES);
        }
        return Set.copyOf(declared);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<BackendCapability> capabilities() {
        return capabilities;
    }

    @Override
    public Uni<Secret> read(SecretPath path, VersionSelector selector) {
        OptionalInt requested;
        try {
            // Parsed first, as the HTTP edge did when ids were integers everywhere: a malformed id is a 400 on any path.
            requested = selector instanceof VersionSelector.ById byId
                    ? OptionalInt.of(NumberedVersions.parse(byId.id())) : OptionalInt.empty();
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        VaultMounts.Read route = mounts.read(path);
        if (route == VaultMounts.Read.REFUSED) {
            // Not a declared secrets mount: Vault's own API, a dynamic engine (a read there would mint a credential
            // nobody tracks, caps or can revoke), or an engine nobody vouched for. Refused without a call.
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "read", path.value()));
        }
        if (route == VaultMounts.Read.KV_V2) {
            return blocking("read", path.value(), () -> kv.read(path, selector, requested));
        }
        if (!(selector instanceof VersionSelector.Current)) {
            String operation = selector instanceof VersionSelector.ById ? "read a version of" : "read a stage of";
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, operation, path.value()));
        }
        return blocking("read", path.value(), () -> {
            LogicalResponse response = session.client().logical().read(path.value());
            failures.checkStatus(response, "read", path);
            if (response.getLeaseId() != null && !response.getLeaseId().isEmpty()) {
                // A read-only mount that answered with a lease minted something: give it back and serve nothing.
                revokeQuietly(response.getLeaseId());
                throw new UnsupportedBackendOperationException(name, "read", path.value());
            }
            JsonNode data = VaultResponses.parse(response).path("data");
            // Static values carry no lease; the broker decides how long to cache them.
            return new Secret(new SecretRef(name, path), VaultResponses.fields(data), Optional.empty(),
                    Lease.ofStaticValue(clock.instant()));
        });
    }

    @Override
    public Uni<String> put(SecretPath path, NewVersion version) {
        if (mounts.read(path) != VaultMounts.Read.KV_V2) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "put", path.value()));
        }
        // Copied now, on the caller's thread: the caller may close its value once the put completes.
        Map<String, String> fields = version.value().reveal();
        return blocking("put", path.value(), () -> String.valueOf(kv.put(path, fields, version)));
    }

    @Override
    public Uni<Void> moveStage(SecretPath path, StageMove move) {
        try {
            move.from().ifPresent(NumberedVersions::parse);
            move.to().ifPresent(NumberedVersions::parse);
        } catch (IllegalArgumentException e) {
            return Uni.createFrom().failure(e);
        }
        if (mounts.read(path) != VaultMounts.Read.KV_V2) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "move a stage of", path.value()));
        }
        return blocking("move a stage of", path.value(), () -> {
            kv.move(path, move);
            return null;
        });
    }

    @Override
    public Uni<List<VersionInfo>> versions(SecretPath path) {
        if (mounts.read(path) != VaultMounts.Read.KV_V2) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "list versions of", path.value()));
        }
        return blocking("list versions of", path.value(), () -> kv.versions(path));
    }

    private void revokeQuietly(String leaseId) {
        try {
            session.client().leases().revoke(leaseId);
        } catch (VaultException | RuntimeException e) {
            LOG.warnf("backend %s: a lease returned by a read could not be revoked (%s); it expires with its TTL",
                    name, VaultFailures.describe(e));
        }
    }

    /**
     * Reads {@code <mount>/creds/<role>} under the token {@link IssuingTokens} chooses, which outlives what the holder
     * is told: the lease's {@code expiresAt} is capped at the promise that token can keep.
     */
    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        if (!mounts.issuable(rolePath)) {
            return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, "issue", rolePath.value()));
        }
        return blocking("issue", rolePath.value(), () -> {
            for (int attempt = 1; ; attempt++) {
                IssuingTokens.Issuer issuer = issuing.issuer(rolePath.value());
                Instant issuedAt = clock.instant();
                LogicalResponse response;
                try {
                    response = issuer.client().logical().read(rolePath.value());
                } catch (VaultException e) {
                    if (attempt == 1 && e.getHttpStatusCode() == 403 && issuing.recoverFromRejection(issuer)) {
                        continue;
                    }
                    throw e;
                }
                if (attempt == 1 && response.getRestResponse().getStatus() == 403 && issuing.recoverFromRejection(issuer)) {
                    continue;
                }
                failures.checkStatus(response, "issue", rolePath);
                if (response.getLeaseId() == null || response.getLeaseId().isEmpty()) {
                    throw new BackendRejectedException(name, "issue", rolePath.value(), response.getRestResponse().getStatus());
                }
                Duration ttl = min(Duration.ofSeconds(response.getLeaseDuration()), issuing.promise(issuer, issuedAt));
                Lease lease = Lease.leased(response.getLeaseId(), issuedAt, ttl, Boolean.TRUE.equals(response.getRenewable()));
                return new Secret(new SecretRef(name, rolePath), VaultResponses.fields(VaultResponses.parse(response).path("data")),
                        Optional.empty(), lease);
            }
        });
    }

    /**
     * Extends a lease, but never past what its issuing token is sure to outlive: {@code credential-max-ttl} from its
     * issue (and, for credentials issued under Lanyard's login token, that token's expiry). The issue time comes from
     * Vault's {@code sys/leases/lookup}, so every replica, before or after a restart, draws the same line; the lookup
     * also tells a lease that is gone (revoked, or dead with its token) from any other refusal.
     */
    @Override
    public Uni<Lease> renew(String leaseId, Duration increment) {
        return blocking("renew", leasePath(leaseId), () -> {
            Instant now = clock.instant();
            LogicalResponse found = session.client().logical().write("sys/leases/lookup", Map.of("lease_id", leaseId));
            failures.checkStatus(found, "renew", leasePath(leaseId));
            JsonNode lease = VaultResponses.parse(found).path("data");
            Duration remaining = Duration.ofSeconds(lease.path("ttl").asLong());
            // Measured on Vault's clock (issue time, and now as expiry minus TTL), so clock skew does not move the line.
            Instant vaultNow = Instant.parse(lease.path("expire_time").asText()).minus(remaining);
            Duration room = Duration.between(vaultNow, Instant.parse(lease.path("issue_time").asText()).plus(issuingConfig.credentialMaxTtl()));
            if (issuingConfig.tokenRole().isEmpty()) {
                room = min(room, Duration.between(now, session.expiresAt().orElse(now)));
            }
            room = Duration.ofSeconds(room.toSeconds()); // Vault grants whole seconds
            if (!room.isPositive() || !lease.path("renewable").asBoolean()) {
                return Lease.leased(leaseId, now, min(remaining, room.isNegative() ? Duration.ZERO : room), false);
            }
            long asked = Math.min(increment.toSeconds(), room.toSeconds());
            // The id in the body, not the URL: Vault's audit log keeps request paths in clear, and the id is a bearer handle.
            LogicalResponse response = session.client().logical().write("sys/leases/renew",
                    Map.of("lease_id", leaseId, "increment", asked));
            failures.checkStatus(response, "renew", leasePath(leaseId));
            JsonNode body = VaultResponses.parse(response);
            Duration granted = min(Duration.ofSeconds(body.path("lease_duration").asLong()), room);
            return Lease.leased(body.path("lease_id").asText(leaseId), now, granted,
                    body.path("renewable").asBoolean() && granted.compareTo(room) < 0);
        });
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public Uni<Void> revoke(String leaseId) {
        return blocking("revoke", leasePath(leaseId), () -> {
            VaultResponse response = session.client().leases().revoke(leaseId);
            failures.checkStatus(response, "revoke", leasePath(leaseId));
            return null;
        });
    }

    /**
     * Down when Vault is unreachable or sealed, Lanyard's token is dead and could not be replaced, or every mount Lanyard
     * reads from is missing; up otherwise, with a note when some mount is missing, a token was replaced between
     * renewals, an issuing token was revoked, or issuing is refused.
     * Asking Vault about Lanyard's token here means a token revoked while no request comes in is replaced at the next
     * probe.
     */
    @Override
    public Uni<BackendHealth> health() {
        return Uni.createFrom().item(() -> {
            try {
                HealthResponse health = session.client().debug().health();
                if (Boolean.TRUE.equals(health.getSealed())) {
                    return BackendHealth.unhealthy("sealed");
                }
                session.verify();
                Optional<String> problem = session.problem();
                if (problem.isPresent()) {
                    return BackendHealth.unhealthy(problem.get());
                }
                Optional<Instant> expiry = session.expiresAt();
                if (expiry.isPresent() && !clock.instant().isBefore(expiry.get())) {
                    return BackendHealth.unhealthy("Lanyard's Vault token has expired");
                }
                issuing.verify();
                Optional<String> missing = missingMounts();
                if (missing.isPresent() && !mounts.readableMounts().isEmpty()
                        && missingMounts.mounts().containsAll(mounts.readableMounts())) {
                    return BackendHealth.unhealthy(missing.get());
                }
                List<String> notes = new ArrayList<>();
                missing.ifPresent(notes::add);
                issuing.problem().ifPresent(why -> notes.add("issuing refused: " + why));
                session.lastReplacement().ifPresent(notes::add);
                issuing.lastRevoked().ifPresent(notes::add);
                return notes.isEmpty() ? BackendHealth.healthy() : new BackendHealth(true, String.join("; ", notes));
            } catch (VaultException e) {
                return BackendHealth.unhealthy(VaultFailures.describe(e));
            } catch (RuntimeException e) {
                return BackendHealth.unhealthy("health check failed: " + e.getClass().getSimpleName());
            }
        }).runSubscriptionOn(calls.executor());
    }

    /**
     * The mounts reads found missing, asked again: {@code sys/internal/ui/mounts/<mount>} answers any token with a
     * policy on the mount, and mints or reveals nothing. A mount that is back is cleared at once, so a backend marked
     * down for it comes back without waiting for a read.
     */
    private Optional<String> missingMounts() throws VaultException {
        for (String mount : missingMounts.mounts()) {
            if (session.client().logical().read("sys/internal/ui/mounts/" + mount).getRestResponse().getStatus() == 200) {
                missingMounts.answered(mount);
            }
        }
        return missingMounts.describe();
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
            LOG.warnf("backend %s: keeping Lanyard's Vault token alive failed: %s", name, VaultFailures.describe(e));
        }
    }

    /** Lease ids are bearer handles: failures name only their engine prefix, never the full id. */
    private static String leasePath(String leaseId) {
        int lastSlash = leaseId.lastIndexOf('/');
        return "lease:" + (lastSlash < 0 ? "?" : leaseId.substring(0, lastSlash) + "/…");
    }

    /**
     * Runs a call on a virtual thread. If Vault answers 403 because Lanyard's token died (revoked out of band), the
     * token is replaced and the call made once more; while it cannot be replaced, the call fails as unavailable.
     */
    private <T> Uni<T> blocking(String operation, String path, BlockingCalls.Call<T> call) {
        return calls.run(() -> {
            session.client();
            long generation = session.generation();
            try {
                return call.call();
            } catch (Exception e) {
                if (!rejected(e)) {
                    throw e;
                }
                if (session.recoverFromRejection(generation)) {
                    return call.call();
                }
                if (session.problem().isPresent()) {
                    throw new BackendUnavailableException(name, operation, path, "Vault no longer accepts Lanyard's token", null);
                }
                throw e;
            }
        }, failure -> failure instanceof VaultException e
                ? failures.translate(e.getHttpStatusCode(), operation, path, e)
                : new BackendUnavailableException(name, operation, path, "unexpected reply", null));
    }

    /** A 403: Vault's answer both to a path the policy denies and to a token it no longer knows. */
    private static boolean rejected(Exception failure) {
        return failure instanceof BackendRejectedException r && r.status() == 403
                || failure instanceof VaultException v && v.getHttpStatusCode() == 403;
    }

    Map<String, Object> describeSession() {
        return session.describe();
    }
}
