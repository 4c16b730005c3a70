package dev.lanyard.broker;

import dev.lanyard.access.AccessContext;
import dev.lanyard.access.AuditedAccess;
import dev.lanyard.access.AuditedAccess.Performed;
import dev.lanyard.access.Refusal;
import dev.lanyard.access.Refused;
import dev.lanyard.audit.AuditOperation;
import dev.lanyard.audit.LeaseFingerprint;
import dev.lanyard.audit.Target;
import dev.lanyard.policy.Capability;
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
import dev.lanyard.spi.BackendUnavailableException;
import dev.lanyard.spi.SecretNotFoundException;
import dev.lanyard.spi.UnsupportedBackendOperationException;
import dev.lanyard.spi.VersionInfo;
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
 * Hands out secrets and leased credentials: serves from the lease cache or makes one backend call per key, and records
 * who holds which lease. Each operation is one {@link AuditedAccess}: authorised, recorded with its outcome and the
 * status that will be sent before the caller gets an answer, and withheld ({@link Refused}) when that record cannot
 * be written.
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
    private final AuditedAccess audited;
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
    private final Handovers handovers = new Handovers();
    private final Counter staleAnswers;
    private final ChangeAnnouncer announcer;
    private final Tracer tracer;

    Broker(BackendRegistry backends, AuditedAccess audited, LeaseStore leases,
           LeaseFingerprint fingerprint, BrokerConfig config, InstantSource clock, RandomGenerator random,
           MeterRegistry meters, ChangeAnnouncer announcer, Tracer tracer) {
        this.backends = backends;
        this.audited = audited;
        this.leases = leases;
        this.fingerprint = fingerprint;
        this.config = config;
        this.clock = clock;
        this.schedule = new RefreshSchedule(config.refreshAt(), config.refreshJitter(), random);
        this.calls = new BackendCalls(config, meters, tracer);
        this.tracer = tracer;
        this.meters = meters;
        // A static value stays past its cache window as long as it may be served stale; a credential never does.
        this.cache = new LeaseCache<>(clock, grant -> isStatic(grant.secret())
                ? latest(grant.expiresAt(), grant.secret().lease().issuedAt().plus(config.staleIfError())) : grant.expiresAt());
        this.staleAnswers = Counter.builder("lanyard.cache.stale").description(
                "static secrets answered with their last good value because the backend could not be reached")
                .register(meters);
        this.announcer = announcer;
        Gauge.builder("lanyard.cache.entries", cache, LeaseCache::size).description("grants held in the lease cache")
                .register(meters);
        FunctionCounter.builder("lanyard.cache.evictions", cache, LeaseCache::dropped).tag("reason", "changed")
                .description("grants dropped from the cache").register(meters);
        FunctionCounter.builder("lanyard.cache.evictions", cache, LeaseCache::expired).tag("reason", "expired")
                .description("grants dropped from the cache").register(meters);
    }

    /** Whether a backend of this name is configured: for surfaces that name backends in their own configuration. */
    public boolean hasBackend(String name) {
        return backends.find(name).isPresent();
    }

    /** Reads a static secret: the current version, one by id, or the one holding a stage. */
    public Uni<Grant> read(AccessContext access, SecretRef ref, VersionSelector version) {
        return read(access, ref, version, Optional.empty());
    }

    /**
     * Reads a static secret, and of it only the field {@code property} when one is given (as External Secrets'
     * {@code property} does): a secret without that field is not found, and audited so. The cache holds the whole
     * secret, so reads of different properties share one backend call.
     */
    public Uni<Grant> read(AccessContext access, SecretRef ref, VersionSelector version, Optional<String> property) {
        return read(access, ref, version, property, Target.secret(ref.backend(), ref.path().value()));
    }

    /**
     * Reads a static secret for a Kubernetes object the controller keeps equal to it, as {@link #read} does; the audit
     * event names that object as well as the secret.
     */
    public Uni<Grant> readFor(AccessContext access, SecretRef ref, VersionSelector version,
                              String kind, String namespace, String name) {
        return read(access, ref, version, Optional.empty(),
                Target.kubernetes(ref.backend(), ref.path().value(), kind, namespace, name));
    }

    private Uni<Grant> read(AccessContext access, SecretRef ref, VersionSelector version, Optional<String> property,
                            Target served) {
        return audited.perform(access, AuditOperation.READ, served, 200, () -> {
            audited.authorize(access, Capability.READ, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.READ);
            BackendCapability.toRead(version).forEach(needed -> require(backend, needed, "read", ref));
            CacheKey key = new CacheKey(ref.toString(), version.toString(), "");
            Uni<Grant> whole = lookup("read", backend, key, () -> calls.call(backend, "read", ref.path().value(),
                    () -> backend.read(ref.path(), version)).map(this::staticGrant))
                    .onFailure(BackendUnavailableException.class).recoverWithUni(failure -> lastGood(key, failure));
            return (property.isEmpty() ? whole : whole.map(grant -> onlyField(grant, property.get())))
                    .map(grant -> granted(served, grant));
        });
    }

    private static Grant onlyField(Grant grant, String property) {
        Secret secret = grant.secret();
        String value = secret.value().field(property).orElseThrow(() -> new SecretNotFoundException(
                secret.ref().backend(), "read a property of", secret.ref().path().value()));
        Secret projected = new Secret(secret.ref(), SecretValue.ofStrings(Map.of(property, value)), secret.version(), secret.lease(),
                secret.versionCreatedAt());
        return new Grant(projected, grant.expiresAt(), grant.refreshAfter(), grant.stale());
    }

    /**
     * Writes a new current version of a static secret. The value is the caller's to zero: the backend copies it. Once
     * the backend holds the version, cached copies everywhere are dropped and the change is announced.
     *
     * @return the id of the new version
     */
    public Uni<String> write(AccessContext access, SecretRef ref, SecretValue value) {
        Target secret = Target.secret(ref.backend(), ref.path().value());
        return audited.perform(access, AuditOperation.WRITE, secret, 200, () -> {
            audited.authorize(access, Capability.WRITE, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.WRITE);
            return calls.call(backend, "write", ref.path().value(), () -> backend.put(ref.path(), NewVersion.current(value)))
                    .invoke(version -> changed(SecretChanged.written(ref, version, clock.instant())))
                    .map(version -> new Performed<>(version, secret.atVersion(version)));
        });
    }

    /**
     * Issues a leased credential for the caller, or returns the one it already holds for this role. A credential whose
     * issue nobody could record is revoked at once — nothing unrecorded stays live — but one that another request
     * recorded is not ({@link Handovers}).
     */
    public Uni<Grant> issue(AccessContext access, SecretRef ref) {
        AtomicReference<Grant> handedHere = new AtomicReference<>();
        Target secret = Target.secret(ref.backend(), ref.path().value());
        return audited.perform(access, AuditOperation.ISSUE, secret, 200, () -> {
            audited.authorize(access, Capability.ISSUE, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.ISSUE);
            CacheKey key = new CacheKey(ref.toString(), "", access.caller().subject());
            return lookedUp("issue", backend, key, () -> issueNew(access, backend, ref)).map(found -> {
                if (found.result() == LeaseCache.Result.MISS) {
                    handovers.issued(found.grant(), found.sharers());
                } else if (!handovers.take(found.grant(), found.result() == LeaseCache.Result.JOINED)) {
                    throw new WithdrawnCredentialException();
                }
                handedHere.set(found.grant());
                return granted(secret, found.grant());
            });
        }).invoke(handovers::recorded)
                .onFailure(failure -> failure instanceof Refused refused && !refused.recorded()).call(() -> unrecorded(handedHere.get()))
                .onCancellation().call(() -> unrecorded(handedHere.get()));
    }

    /** This request's record of a credential it was handed failed: the last such holder withdraws it. */
    private Uni<Void> unrecorded(Grant grant) {
        return grant != null && handovers.unrecorded(grant) ? withdraw(grant) : Uni.createFrom().voidItem();
    }

    private Uni<Grant> issueNew(AccessContext access, SecretBackend backend, SecretRef ref) {
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
    public Uni<Lease> renew(AccessContext access, String leaseId, Optional<Duration> increment) {
        String leaseFingerprint = fingerprint.of(leaseId);
        return audited.perform(access, AuditOperation.RENEW, Target.lease(leaseFingerprint), 200, () -> heldLease(access,
                        leaseFingerprint, Capability.RENEW)
                .chain(record -> {
                    SecretBackend backend = backend(SecretRef.of(record.backend(), record.path()), BackendCapability.RENEW);
                    return calls.call(backend, "renew", record.path(),
                                    () -> backend.renew(leaseId, increment.orElse(config.defaultRenewIncrement())))
                            .onFailure(SecretNotFoundException.class).recoverWithUni(gone -> leaseGone(leaseId, leaseFingerprint))
                            .call(lease -> leases.recordRenewed(leaseFingerprint, lease.expiresAt()))
                            .invoke(lease -> evictLease(leaseId))
                            .map(lease -> new Performed<>(lease, Target.lease(leaseFingerprint).on(record.backend(), record.path())));
                }));
    }

    /** Revokes a lease held by the caller (or by anyone, for an admin of its path); the credential stops working. */
    public Uni<Void> revoke(AccessContext access, String leaseId) {
        String leaseFingerprint = fingerprint.of(leaseId);
        return audited.perform(access, AuditOperation.REVOKE, Target.lease(leaseFingerprint), 204, () -> heldLease(access,
                        leaseFingerprint, Capability.REVOKE)
                .chain(record -> {
                    SecretRef ref = SecretRef.of(record.backend(), record.path());
                    SecretBackend backend = backend(ref, BackendCapability.REVOKE);
                    return calls.call(backend, "revoke", record.path(), () -> backend.revoke(leaseId))
                            .onFailure(SecretNotFoundException.class).recoverWithUni(gone -> leaseGone(leaseId, leaseFingerprint))
                            .invoke(() -> evictLease(leaseId))
                            .call(() -> leases.recordRevoked(leaseFingerprint, clock.instant()))
                            .invoke(() -> changed(SecretChanged.leaseRevoked(ref, leaseFingerprint, clock.instant())))
                            .map(ignored -> new Performed<Void>(null, Target.lease(leaseFingerprint).on(record.backend(), record.path())));
                }));
    }

    /**
     * What the lease's holder (or an admin of its path) may know of it without renewing it: when it was issued, when it
     * expires now, and whether its backend renews leases. Needs {@code renew} on its path, like renewing it.
     */
    public Uni<LeaseStatus> lookup(AccessContext access, String leaseId) {
        String leaseFingerprint = fingerprint.of(leaseId);
        return audited.perform(access, AuditOperation.LEASE_LOOKUP, Target.lease(leaseFingerprint), 200, () -> heldLease(access,
                        leaseFingerprint, Capability.RENEW)
                .map(record -> {
                    boolean renewable = backends.find(record.backend())
                            .map(backend -> backend.capabilities().contains(BackendCapability.RENEW)).orElse(false);
                    return new Performed<>(new LeaseStatus(record.issuedAt(), record.expiresAt(), renewable),
                            Target.lease(leaseFingerprint).on(record.backend(), record.path()));
                }));
    }

    /**
     * The readable versions of a static secret, which holds which stage and when each was made: never a value. Needs
     * {@code read} on it, and a backend that keeps versions with stages. Not cached: it is asked for rarely (KV v2
     * {@code metadata/} reads), and must show a write at once.
     */
    public Uni<List<VersionInfo>> versions(AccessContext access, SecretRef ref) {
        Target secret = Target.secret(ref.backend(), ref.path().value());
        return audited.perform(access, AuditOperation.METADATA_READ, secret, 200, () -> {
            audited.authorize(access, Capability.READ, ref.toString());
            SecretBackend backend = backend(ref, BackendCapability.STAGES);
            return calls.call(backend, "list versions of", ref.path().value(), () -> backend.versions(ref.path()))
                    .map(versions -> new Performed<>(versions, secret));
        });
    }

    /** Drops expired grants and zeroes the values of those that left the cache; see {@link LeaseCache#sweep()}. */
    public int sweepCache() {
        handovers.sweep(clock.instant());
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
        String changedRef = change.ref().toString();
        int dropped = change.lease()
                .map(revoked -> cache.evictIf(grant -> grant.secret().lease().id().map(fingerprint::of)
                        .equals(Optional.of(revoked))))
                // A read of this secret in flight may have read the value just replaced: it must not be cached.
                .orElseGet(() -> cache.evictIf(grant -> grant.secret().ref().equals(change.ref()),
                        key -> key.ref().equals(changedRef)));
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
        int dropped = cache.evictIf(grant -> true, key -> true);
        announcer.announce(missed);
        return dropped;
    }

    private Uni<LeaseRecord> heldLease(AccessContext access, String leaseFingerprint, Capability capability) {
        return leases.find(leaseFingerprint).map(found -> {
            LeaseRecord record = found.filter(r -> r.liveAt(clock.instant())).orElseThrow(UnknownLeaseException::new);
            String path = record.backend() + "/" + record.path();
            boolean holder = record.owner().equals(access.caller().subject());
            if (!holder && !audited.allows(access, Capability.LEASE_ADMIN, path)) {
                // Neither holder nor admin: answer as if the lease did not exist, so lease ids cannot be probed.
                throw new UnknownLeaseException();
            }
            audited.authorize(access, capability, path);
            return record;
        });
    }

    /** A renewed or revoked lease is no longer handed out from the cache; the next issue gets a fresh one. */
    private void evictLease(String leaseId) {
        cache.evictIf(grant -> grant.secret().lease().id().equals(Optional.of(leaseId)));
    }

    private Uni<Grant> lookup(String operation, SecretBackend backend, CacheKey key, java.util.function.Supplier<Uni<Grant>> loader) {
        return lookedUp(operation, backend, key, loader).map(LeaseCache.Lookup::grant);
    }

    private Uni<LeaseCache.Lookup> lookedUp(String operation, SecretBackend backend, CacheKey key,
                                            java.util.function.Supplier<Uni<Grant>> loader) {
        return Spans.around(tracer.spanBuilder("lanyard.cache.lookup").setAttribute("lanyard.backend", backend.name())
                        .setAttribute("lanyard.operation", operation), () -> cache.get(key, loader),
                (span, lookup) -> span.setAttribute("lanyard.cache.result", lookup.result().name().toLowerCase(Locale.ROOT)))
                .map(lookup -> {
                    cacheRequests.computeIfAbsent(List.of(backend.name(), operation, lookup.result()), tags -> meters.counter(
                            "lanyard.cache.requests", "backend", backend.name(), "operation", operation,
                            "result", lookup.result().name().toLowerCase(Locale.ROOT))).increment();
                    return lookup;
                });
    }

    /**
     * The backend could not be reached for a static secret: its last good value while it is younger than
     * {@code stale-if-error}, telling the client to come back at the next retry; otherwise the failure.
     */
    private Uni<Grant> lastGood(CacheKey key, Throwable failure) {
        Instant now = clock.instant();
        Optional<Grant> usable = config.staleIfError().isPositive() ? cache.peek(key)
                .filter(cached -> isStatic(cached.secret()))
                .filter(cached -> now.isBefore(cached.secret().lease().issuedAt().plus(config.staleIfError())))
                : Optional.empty();
        if (usable.isEmpty()) {
            return Uni.createFrom().failure(failure);
        }
        Grant cached = usable.get();
        Instant limit = cached.secret().lease().issuedAt().plus(config.staleIfError());
        Instant retry = now.plus(config.staleRetryAfter());
        staleAnswers.increment();
        return Uni.createFrom().item(new Grant(cached.secret(), latest(cached.expiresAt(), limit),
                retry.isBefore(limit) ? retry : limit, true));
    }

    /** A value with no lifetime of its own (KV, Secrets Manager, the local store), as opposed to a leased credential. */
    private static boolean isStatic(Secret secret) {
        return secret.lease().id().isEmpty() && secret.lease().ttl().isZero();
    }

    private static Instant latest(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private Grant staticGrant(Secret secret) {
        Instant now = secret.lease().issuedAt();
        Duration lifetime = config.staticTtl();
        return new Grant(secret, now.plus(lifetime), schedule.refreshAfter(now, lifetime));
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

    /** A grant and the target its record names: the secret at the version served, and the lease handed out. */
    private Performed<Grant> granted(Target target, Grant grant) {
        return new Performed<>(grant, target.atVersion(grant.secret().version().orElse(null))
                .withLease(grant.secret().lease().id().map(fingerprint::of).orElse(null)),
                grant.stale() ? Refusal.BACKEND_UNAVAILABLE : null);
    }

    /**
     * The backend no longer knows a lease Lanyard's table still holds (it expired early, or was revoked at the backend
     * with the token it was issued under): the table learns it is gone, and the holder is told so.
     */
    private <T> Uni<T> leaseGone(String leaseId, String leaseFingerprint) {
        evictLease(leaseId);
        return leases.recordRevoked(leaseFingerprint, clock.instant()).onFailure().recoverWithNull()
                .chain(() -> Uni.createFrom().failure(new UnknownLeaseException()));
    }
}
