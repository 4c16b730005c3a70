package dev.lanyard.broker;

import dev.lanyard.auth.RequestContext;
import dev.lanyard.audit.AuditEvent;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.Result;
import dev.lanyard.audit.Target;
import dev.lanyard.audit.AuditLog;
import dev.lanyard.audit.AuditUnavailableException;
import dev.lanyard.policy.Capability;
import dev.lanyard.policy.PolicyEngine;
import dev.lanyard.secret.ChangesMissed;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretChanged;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.VersionSelector;
import dev.lanyard.spi.BackendCapability;
import dev.lanyard.spi.BackendRegistry;
import dev.lanyard.spi.NewVersion;
import dev.lanyard.spi.SecretBackend;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import dev.lanyard.support.Spans;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.jboss.logging.Logger;

/**
 * Hands out secrets and leased credentials: checks policy, serves from the lease cache or makes one backend
 * call per key, records who holds which lease, and writes an audit event for every outcome before the caller
 * gets an answer. If that event cannot be written the caller gets {@link AuditUnavailableException} instead of
 * the secret.
 *
 * <p>Every change it makes or learns of (a write, a revoked lease, a finished rotation, a change relayed from another
 * replica) goes through {@link #changed}: cached copies are dropped first, then the change is announced.
 */
public class Broker {

    private static final Logger LOG = Logger.getLogger(Broker.class);

    /** Lease-table keys of credentials issued without a lease id (STS session credentials, generated API keys). */
    static final String UNLEASED = "unleased:";

    /** Static values are shared by everyone allowed to read them; leased credentials belong to one identity. */
    record CacheKey(String ref, String version, String holder) {}

    private final BackendRegistry backends;
    private final PolicyEngine policy;
    private final AuditLog audit;
    private final LeaseStore leases;
    private final LeaseFingerprint fingerprint;
    private final BrokerConfig config;
    private final InstantSource clock;
    private final RefreshSchedule schedule;
    private final BackendCalls calls;
    private final MeterRegistry meters;
    /** The cache's counters by (backend, operation, result): found once, not looked up by name on every request. */
    private final Map<List<Object>, Counter> cacheRequests = new ConcurrentHashMap<>();
    private final LeaseCache<CacheKey> cache;
    private final ChangeAnnouncer announcer;
    private final Tracer tracer;

    Broker(BackendRegistry backends, PolicyEngine policy, AuditLog audit, LeaseStore leases,
           LeaseFingerprint fingerprint, BrokerConfig config, InstantSource clock, RandomGenerator random,
           MeterRegistry meters, ChangeAnnouncer announcer, Tracer tracer) {
        this.backends = backends;
        this.policy = policy;
        this.audit = audit;
        this.leases = leases;
        this.fingerprint = fingerprint;
        this.config = config;
        this.clock = clock;
        this.schedule = new RefreshSchedule(config.refreshAt(), config.refreshJitter(), random);
        this.calls = new BackendCalls(config, meters, tracer);
        this.tracer = tracer;
        this.meters = meters;
        this.cache = new LeaseCache<>(clock);
        this.announcer = announcer;
        Gauge.builder("lanyard.cache.entries", cache, LeaseCache::size).description("grants held in the lease cache")
                .register(meters);
        FunctionCounter.builder("lanyard.cache.evictions", cache, LeaseCache::dropped).tag("reason", "changed")
                .description("grants dropped from the cache").register(meters);
        FunctionCounter.builder("lanyard.cache.evictions", cache, LeaseCache::expired).tag("reason", "expired")
                .description("grants dropped from the cache").register(meters);
    }

    /** Reads a static secret: the current version, one by id, or the one holding a stage. */
    public Uni<Grant> read(RequestContext access, SecretRef ref, VersionSelector version) {
        return read(access, ref, version, Optional.empty());
    }

    /**
     * Reads a static secret, and of it only the field {@code property} when one is given (as External Secrets'
     * {@code property} does): a secret without that field is not found, and audited so. The cache holds the whole
     * secret, so reads of different properties share one backend call.
     */
    public Uni<Grant> read(RequestContext access, SecretRef ref, VersionSelector version, Optional<String> property) {
        return read(access, ref, version, property, Target.secret(ref.backend(), ref.path().value()));
    }

    /**
     * Reads a static secret for a Kubernetes object the controller keeps equal to it, as {@link #read} does; the audit
     * event names that object as well as the secret.
     */
    public Uni<Grant> readFor(RequestContext access, SecretRef ref, VersionSelector version,
                              String kind, String namespace, String name) {
        return read(access, ref, version, Optional.empty(),
                Target.kubernetes(ref.backend(), ref.path().value(), kind, namespace, name));
    }

    private Uni<Grant> read(RequestContext access, SecretRef ref, VersionSelector version, Optional<String> property,
                            Target served) {
        return audited(access, AuditOperation.READ, served, Uni.createFrom().deferred(() -> {
            authorize(access, Capability.READ, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.READ);
            BackendCapability.toRead(version).forEach(needed -> require(backend, needed, "read", ref));
            CacheKey key = new CacheKey(ref.toString(), version.toString(), "");
            Uni<Grant> whole = lookup("read", backend, key, () -> calls.call(backend, "read", ref.path().value(),
                    () -> backend.read(ref.path(), version)).map(this::staticGrant));
            return property.isEmpty() ? whole : whole.map(grant -> onlyField(grant, property.get()));
        }));
    }

    private static Grant onlyField(Grant grant, String property) {
        Secret secret = grant.secret();
        String value = secret.value().field(property).orElseThrow(() -> new SecretNotFoundException(
                secret.ref().backend(), "read a property of", secret.ref().path().value()));
        Secret projected = new Secret(secret.ref(), SecretValue.ofStrings(Map.of(property, value)), secret.version(), secret.lease());
        return new Grant(projected, grant.expiresAt(), grant.refreshAfter());
    }

    /**
     * Writes a new current version of a static secret. The value is the caller's to zero: the backend copies it. Once
     * the backend holds the version, cached copies everywhere are dropped and the change is announced.
     *
     * @return the id of the new version
     */
    public Uni<String> write(RequestContext access, SecretRef ref, SecretValue value) {
        Target secret = Target.secret(ref.backend(), ref.path().value());
        return audited(access, AuditOperation.WRITE, secret, 200, Uni.createFrom().deferred(() -> {
            authorize(access, Capability.WRITE, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.WRITE);
            return calls.call(backend, "write", ref.path().value(), () -> backend.put(ref.path(), NewVersion.current(value)))
                    .invoke(version -> changed(SecretChanged.written(ref, version, clock.instant())))
                    .map(version -> new Audited<>(version, secret.atVersion(version)));
        }));
    }

    /**
     * Issues a leased credential for the caller, or returns the one it already holds for this role. A credential issued
     * for this request whose audit row cannot be written is revoked at once: nothing unrecorded stays live.
     */
    public Uni<Grant> issue(RequestContext access, SecretRef ref) {
        AtomicReference<Grant> issuedHere = new AtomicReference<>();
        return audited(access, AuditOperation.ISSUE, ref, Uni.createFrom().deferred(() -> {
            authorize(access, Capability.ISSUE, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.ISSUE);
            CacheKey key = new CacheKey(ref.toString(), "", access.caller().subject());
            return lookup("issue", backend, key, () -> issueNew(access, backend, ref).invoke(issuedHere::set));
        })).onFailure(AuditUnavailableException.class).call(() -> issuedHere.get() == null
                ? Uni.createFrom().voidItem()
                : withdraw(issuedHere.get()));
    }

    private Uni<Grant> issueNew(RequestContext access, SecretBackend backend, SecretRef ref) {
        String owner = access.caller().subject();
        int cap = config.maxLeasesPerIdentity();
        // The backend call belongs under the cache lookup that asked for it, though it starts after the reservation's
        // database round trip.
        Context lookup = Context.current();
        // The place under the cap is taken before the backend is asked, atomically across replicas, so parallel
        // requests for different roles cannot all pass a count made before any of them was recorded.
        return leases.reserve(owner, cap, clock.instant(), config.issueHold()).chain(reservation -> Spans.resumedIn(lookup, () -> {
            if (reservation.isEmpty()) {
                return Uni.createFrom().<Secret>failure(new LeaseLimitException(cap));
            }
            return calls.call(backend, "issue", ref.path().value(), () -> backend.issue(ref.path(), owner))
                    .call(secret -> leases.confirm(reservation.get(), new LeaseRecord(
                                    recordKey(secret), owner, ref.backend(), ref.path().value(),
                                    secret.lease().issuedAt(), secret.lease().expiresAt(), null))
                            // Issued but not recorded: it could never be found to renew, revoke or count. Give it back.
                            .onFailure().call(() -> secret.lease().id()
                                    .map(leaseId -> revokeQuietly(backend, leaseId))
                                    .orElseGet(() -> unrevocable(secret))))
                    .onFailure().call(() -> leases.release(reservation.get(), clock.instant()).onFailure().recoverWithNull());
        })).map(secret -> new Grant(secret, secret.lease().expiresAt(),
                schedule.refreshAfter(secret.lease().issuedAt(), secret.lease().ttl())));
    }

    /**
     * The lease table's key for an issued credential: its lease id's fingerprint or, for a credential without a lease
     * id, an id of its own, so it is still counted against its holder's cap until it expires. The prefix cannot
     * collide with a fingerprint, which is hex.
     */
    private String recordKey(Secret secret) {
        return secret.lease().id().map(fingerprint::of).orElseGet(() -> UNLEASED + UUID.randomUUID());
    }

    /** Takes back a credential issued for a request that could not be recorded. Best effort: it expires anyway. */
    private Uni<Void> withdraw(Grant grant) {
        Optional<String> leaseId = grant.secret().lease().id();
        SecretBackend backend = backends.find(grant.secret().ref().backend()).orElseThrow();
        if (leaseId.isEmpty() || !backend.capabilities().contains(BackendCapability.REVOKE)) {
            // Nothing to revoke it by: it is not handed out, and its record keeps counting it until it expires.
            cache.evictIf(cached -> cached == grant);
            return unrevocable(grant.secret());
        }
        evictLease(leaseId.get());
        return revokeQuietly(backend, leaseId.get())
                .chain(() -> leases.recordRevoked(fingerprint.of(leaseId.get()), clock.instant()))
                .onFailure().recoverWithNull();
    }

    private static Uni<Void> unrevocable(Secret secret) {
        LOG.warnf("a credential for %s that could not be recorded cannot be revoked; it stays valid until %s",
                secret.ref(), secret.lease().expiresAt());
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> revokeQuietly(SecretBackend backend, String leaseId) {
        if (!backend.capabilities().contains(BackendCapability.REVOKE)) {
            LOG.warnf("backend %s cannot revoke a credential that could not be recorded; it expires with its lease", backend.name());
            return Uni.createFrom().voidItem();
        }
        return calls.call(backend, "revoke", "lease", () -> backend.revoke(leaseId))
                .onFailure().invoke(failure -> LOG.warnf("a credential that could not be recorded was not revoked (%s);"
                        + " it expires with its lease", failure.getMessage()))
                .onFailure().recoverWithNull();
    }

    /** Extends a lease held by the caller (or by anyone, for an admin of its path). */
    public Uni<Lease> renew(RequestContext access, String leaseId, Optional<Duration> increment) {
        String leaseFingerprint = fingerprint.of(leaseId);
        return audited(access, AuditOperation.RENEW, Target.lease(leaseFingerprint), 200, heldLease(access, leaseFingerprint, Capability.RENEW)
                .chain(record -> {
                    SecretBackend backend = backend(SecretRef.of(record.backend(), record.path()), BackendCapability.RENEW);
                    return calls.call(backend, "renew", record.path(),
                                    () -> backend.renew(leaseId, increment.orElse(config.defaultRenewIncrement())))
                            .call(lease -> leases.recordRenewed(leaseFingerprint, lease.expiresAt()))
                            .invoke(lease -> evictLease(leaseId))
                            .map(lease -> new Audited<>(lease, Target.lease(leaseFingerprint).on(record.backend(), record.path())));
                }));
    }

    /** Revokes a lease held by the caller (or by anyone, for an admin of its path); the credential stops working. */
    public Uni<Void> revoke(RequestContext access, String leaseId) {
        String leaseFingerprint = fingerprint.of(leaseId);
        return audited(access, AuditOperation.REVOKE, Target.lease(leaseFingerprint), 204, heldLease(access, leaseFingerprint, Capability.REVOKE)
                .chain(record -> {
                    SecretRef ref = SecretRef.of(record.backend(), record.path());
                    SecretBackend backend = backend(ref, BackendCapability.REVOKE);
                    return calls.call(backend, "revoke", record.path(), () -> backend.revoke(leaseId))
                            .invoke(() -> evictLease(leaseId))
                            .call(() -> leases.recordRevoked(leaseFingerprint, clock.instant()))
                            .invoke(() -> changed(SecretChanged.leaseRevoked(ref, leaseFingerprint, clock.instant())))
                            .map(ignored -> new Audited<Void>(null, Target.lease(leaseFingerprint).on(record.backend(), record.path())));
                }));
    }

    /** Drops expired grants and zeroes the values of those that left the cache; see {@link LeaseCache#sweep()}. */
    public int sweepCache() {
        return cache.sweep();
    }

    /**
     * Takes in a change to one secret, made here (a rotation finished, a write) or relayed from another replica: drops
     * every cached copy it makes stale, then announces it. Synchronous, so a read on this replica that starts after
     * this returns goes to the backend.
     *
     * @return how many cached grants were dropped
     */
    public int changed(SecretChanged change) {
        int dropped = change.lease()
                .map(revoked -> cache.evictIf(grant -> grant.secret().lease().id().map(fingerprint::of)
                        .equals(Optional.of(revoked))))
                .orElseGet(() -> cache.evictIf(grant -> grant.secret().ref().equals(change.ref())));
        announcer.announce(change);
        return dropped;
    }

    /**
     * This replica may have missed changes made elsewhere (see {@link ChangesMissed}): drops every cached grant, then
     * announces it so the Kubernetes sync refreshes everything.
     *
     * @return how many cached grants were dropped
     */
    public int changesMissed(ChangesMissed missed) {
        int dropped = cache.evictIf(grant -> true);
        announcer.announce(missed);
        return dropped;
    }

    private Uni<LeaseRecord> heldLease(RequestContext access, String leaseFingerprint, Capability capability) {
        return leases.find(leaseFingerprint).map(found -> {
            LeaseRecord record = found.filter(r -> r.liveAt(clock.instant())).orElseThrow(UnknownLeaseException::new);
            String path = record.backend() + "/" + record.path();
            boolean holder = record.owner().equals(access.caller().subject());
            if (!holder && !policy.allows(access.caller(), Capability.ADMIN, path)) {
                // Neither holder nor admin: answer as if the lease did not exist, so lease ids cannot be probed.
                throw new UnknownLeaseException();
            }
            authorize(access, capability, path);
            return record;
        });
    }

    /** A renewed or revoked lease is no longer handed out from the cache; the next issue gets a fresh one. */
    private void evictLease(String leaseId) {
        cache.evictIf(grant -> grant.secret().lease().id().equals(Optional.of(leaseId)));
    }

    private Uni<Grant> lookup(String operation, SecretBackend backend, CacheKey key, java.util.function.Supplier<Uni<Grant>> loader) {
        return Spans.around(tracer.spanBuilder("lanyard.cache.lookup").setAttribute("lanyard.backend", backend.name())
                        .setAttribute("lanyard.operation", operation), () -> cache.get(key, loader),
                (span, lookup) -> span.setAttribute("lanyard.cache.result", lookup.result().name().toLowerCase(Locale.ROOT)))
                .map(lookup -> {
                    cacheRequests.computeIfAbsent(List.of(backend.name(), operation, lookup.result()), tags -> meters.counter(
                            "lanyard.cache.requests", "backend", backend.name(), "operation", operation,
                            "result", lookup.result().name().toLowerCase(Locale.ROOT))).increment();
                    return lookup.grant();
                });
    }

    private Grant staticGrant(Secret secret) {
        Instant now = secret.lease().issuedAt();
        Duration lifetime = config.staticTtl();
        return new Grant(secret, now.plus(lifetime), schedule.refreshAfter(now, lifetime));
    }

    private void authorize(RequestContext access, Capability capability, String path) {
        boolean allowed = Spans.inline(tracer, "lanyard.policy", () -> policy.allows(access.caller(), capability, path));
        if (!allowed) {
            throw new AccessDeniedException(capability.spelling(), path);
        }
    }

    private SecretBackend backend(SecretRef ref, BackendCapability needed) {
        SecretBackend backend = backends.find(ref.backend()).orElseThrow(() -> new UnknownBackendException(ref.backend()));
        require(backend, needed, needed.name().toLowerCase(Locale.ROOT), ref);
        return backend;
    }

    private static void require(SecretBackend backend, BackendCapability needed, String operation, SecretRef ref) {
        if (!backend.capabilities().contains(needed)) {
            throw new UnsupportedBackendOperationException(backend.name(), operation, ref.path().value());
        }
    }

    /** A result plus the target the audit event should name, learned only once the operation ran. */
    private record Audited<T>(T value, Target target) {}

    private Uni<Grant> audited(RequestContext access, AuditOperation operation, SecretRef ref, Uni<Grant> action) {
        return audited(access, operation, Target.secret(ref.backend(), ref.path().value()), action);
    }

    private Uni<Grant> audited(RequestContext access, AuditOperation operation, Target secret, Uni<Grant> action) {
        return audited(access, operation, secret, 200, action.map(grant -> new Audited<>(grant, secret
                .atVersion(grant.secret().version().orElse(null))
                .withLease(grant.secret().lease().id().map(fingerprint::of).orElse(null)))));
    }

    /**
     * Writes the one audit event for an operation, with the outcome and the status the caller will be sent, before
     * the result (or the failure) goes on. If the event cannot be written the result never leaves.
     *
     * @param target        what the event names if the operation fails before learning more
     * @param successStatus what the caller is answered on success (revoke: 204), recorded as sent
     */
    private <T> Uni<T> audited(RequestContext access, AuditOperation operation, Target target, int successStatus,
                               Uni<Audited<T>> action) {
        return action.onItemOrFailure().transformToUni((done, failure) -> {
            Result result;
            if (failure == null) {
                Integer status = access.statusFor(null, successStatus);
                result = status == null ? Result.success() : Result.success(status);
            } else {
                Failures.Refusal refusal = Failures.of(failure);
                result = Result.failure(refusal.outcome(), access.statusFor(refusal.code(), successStatus), refusal.code());
            }
            AuditEvent event = event(access, operation, done == null ? target : done.target(), result);
            return audit.append(event).onItem().transformToUni(ignored -> failure == null
                    ? Uni.createFrom().item(done.value())
                    : Uni.createFrom().<T>failure(failure));
        });
    }

    /** The event for one access, of the kind its channel calls for. */
    private AuditEvent event(RequestContext access, AuditOperation operation, Target target, Result result) {
        return switch (access.channel()) {
            case API -> AuditEvent.request(clock.instant(), access.correlationId(), access.caller().subject(),
                    access.clientAddress(), operation, target, result);
            case CONTROLLER -> AuditEvent.controllerSync(clock.instant(), access.correlationId(), access.caller().subject(),
                    operation, target, result);
            case SYSTEM -> AuditEvent.administrative(clock.instant(), access.correlationId(), operation, target, result);
        };
    }
}
