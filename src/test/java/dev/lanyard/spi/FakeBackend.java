package dev.lanyard.spi;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A complete in-memory {@link SecretBackend} for tests, passing the same {@code SecretBackendContract} as the real
 * backends: static secrets with versions ({@code "1"}, {@code "2"}, ... per path), stages, idempotent puts and stage
 * moves; leases with ids {@code <name>/<rolePath>/<n>} (so {@code fake/creds/role/1}), or credentials without a lease
 * id like STS's ({@link #unleased}). Call counters, and switches to fail every call with
 * {@link BackendUnavailableException}, to refuse one path as the peer would ({@link #rejecting}), or to hold issue
 * calls until released.
 *
 * <p>Operations outside its capabilities are refused before anything else happens, as the contract demands: they
 * are not counted and are refused even while failing. {@link Factory} is the matching {@link SecretBackendFactory}.
 */
public final class FakeBackend implements SecretBackend {

    public static final String TYPE = "fake";

    /** The ids this fake hands out; anything else is malformed here. */
    private static final Pattern VERSION_ID = Pattern.compile("[1-9][0-9]{0,8}");

    private record StoredVersion(String id, Map<String, String> fields, Instant createdAt, Optional<String> token) {}

    /** One static secret: its versions in order, and which version holds each stage. */
    private static final class StoredSecret {
        final List<StoredVersion> versions = new ArrayList<>();
        final Map<Stage, String> stages = new HashMap<>();

        Optional<StoredVersion> version(String id) {
            return versions.stream().filter(v -> v.id().equals(id)).findFirst();
        }
    }

    private final String name;
    private final InstantSource clock;
    private final Set<BackendCapability> capabilities;

    private final AtomicInteger issueCalls = new AtomicInteger();
    private final AtomicInteger readCalls = new AtomicInteger();
    private final AtomicInteger putCalls = new AtomicInteger();
    private final AtomicInteger moveCalls = new AtomicInteger();
    private final AtomicInteger listCalls = new AtomicInteger();
    private final AtomicInteger renewCalls = new AtomicInteger();
    private final AtomicInteger revokeCalls = new AtomicInteger();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final AtomicInteger leaseCounter = new AtomicInteger();

    private final Map<String, StoredSecret> secrets = new HashMap<>();
    private final Map<String, Instant> leaseExpiry = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final Set<String> rejected = ConcurrentHashMap.newKeySet();
    private final List<CompletableFuture<Void>> heldIssues = new CopyOnWriteArrayList<>();

    private volatile Duration ttl = Duration.ofHours(1);
    private volatile boolean failing;
    private volatile boolean holdIssues;
    private volatile boolean holdReads;
    private final List<CompletableFuture<Void>> heldReads = new CopyOnWriteArrayList<>();
    private volatile boolean unleased;

    public FakeBackend(String name, InstantSource clock) {
        this(name, clock, EnumSet.allOf(BackendCapability.class));
    }

    public FakeBackend(String name, InstantSource clock, Set<BackendCapability> capabilities) {
        this.name = name;
        this.clock = clock;
        this.capabilities = Set.copyOf(capabilities);
    }

    // ----- test controls -----

    public FakeBackend ttl(Duration ttl) {
        this.ttl = ttl;
        return this;
    }

    /** While failing, every operation fails with {@link BackendUnavailableException} (and is still counted). */
    public FakeBackend failing(boolean failing) {
        this.failing = failing;
        return this;
    }

    /** While holding, issue calls do not complete until {@link #releaseIssues()}. */
    public FakeBackend holdIssues(boolean hold) {
        this.holdIssues = hold;
        return this;
    }

    public void releaseIssues() {
        heldIssues.forEach(f -> f.complete(null));
    }

    /**
     * While holding, a read takes its value at once but does not answer until {@link #releaseReads()}: a read in flight
     * while the secret changes, as a slow backend answers it.
     */
    public FakeBackend holdReads(boolean hold) {
        this.holdReads = hold;
        return this;
    }

    public void releaseReads() {
        heldReads.forEach(f -> f.complete(null));
    }

    /** While set, issued credentials have an expiry but no lease id, like STS session credentials. */
    public FakeBackend unleased(boolean unleased) {
        this.unleased = unleased;
        return this;
    }

    /** Every operation on {@code path} is refused as the peer refuses Lanyard (403), like a Vault policy would. */
    public FakeBackend rejecting(String path) {
        rejected.add(path);
        return this;
    }

    /**
     * Adds a version of a static secret as current, outside the SPI (no capability check, not counted): what an
     * operator or another tool writing into the peer does.
     *
     * @return the new version's id
     */
    public synchronized String putStatic(String path, Map<String, String> fields) {
        return append(secrets.computeIfAbsent(path, p -> new StoredSecret()), fields, Stage.CURRENT, Optional.empty());
    }

    public int issueCalls() {
        return issueCalls.get();
    }

    public int readCalls() {
        return readCalls.get();
    }

    public int putCalls() {
        return putCalls.get();
    }

    public int moveCalls() {
        return moveCalls.get();
    }

    public int listCalls() {
        return listCalls.get();
    }

    public int renewCalls() {
        return renewCalls.get();
    }

    public int revokeCalls() {
        return revokeCalls.get();
    }

    public int closeCalls() {
        return closeCalls.get();
    }

    /** The lease dies at the backend without Lanyard hearing of it (its token revoked, an operator's revoke). */
    public void revokeOutOfBand(String leaseId) {
        revoked.add(leaseId);
    }

    public boolean isRevoked(String leaseId) {
        return revoked.contains(leaseId);
    }

    /** The password the fake puts into the credential of lease number {@code n}; tests look for leaks of it. */
    public static String passwordOf(int n) {
        return "pw-very-secret-" + n;
    }

    // ----- SecretBackend -----

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
        if (!capabilities.containsAll(BackendCapability.toRead(selector))) {
            return unsupported("read", path.value());
        }
        if (selector instanceof VersionSelector.ById byId && !VERSION_ID.matcher(byId.id()).matches()) {
            return Uni.createFrom().failure(new InvalidSecretPathException("version must be a positive integer"));
        }
        readCalls.incrementAndGet();
        Uni<Secret> read = served("read", path, () -> {
            StoredSecret secret = existing(path, "read");
            String id = switch (selector) {
                case VersionSelector.Current c -> secret.stages.get(Stage.CURRENT);
                case VersionSelector.ById byId -> byId.id();
                case VersionSelector.ByStage byStage -> secret.stages.get(byStage.stage());
            };
            StoredVersion version = Optional.ofNullable(id).flatMap(secret::version)
                    .orElseThrow(() -> new SecretNotFoundException(name, "read", path.value()));
            return new Secret(new SecretRef(name, path), SecretValue.ofStrings(version.fields()), Optional.of(version.id()),
                    Lease.ofStaticValue(clock.instant()));
        });
        if (holdReads) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            heldReads.add(gate);
            return read.memoize().indefinitely().call(() -> Uni.createFrom().completionStage(gate));
        }
        return read;
    }

    @Override
    public Uni<String> put(SecretPath path, NewVersion version) {
        if (!capabilities.containsAll(BackendCapability.toPut(version))) {
            return unsupported("put", path.value());
        }
        Map<String, String> fields = version.value().reveal();
        putCalls.incrementAndGet();
        return served("put", path, () -> {
            StoredSecret secret = secrets.get(path.value());
            Optional<StoredVersion> earlier = secret == null || version.token().isEmpty() ? Optional.empty()
                    : secret.versions.stream().filter(v -> v.token().equals(version.token())).findFirst();
            if (earlier.isPresent()) {
                if (!earlier.get().fields().equals(fields)) {
                    throw new WriteConflictException(name, "put", path.value(), WriteConflictException.Reason.TOKEN_REUSED);
                }
                return earlier.get().id();
            }
            if (!version.becomesCurrent()) {
                if (secret == null) {
                    throw new SecretNotFoundException(name, "put", path.value());
                }
                if (secret.stages.containsKey(version.stage())) {
                    throw new WriteConflictException(name, "put", path.value(), WriteConflictException.Reason.STAGE_TAKEN);
                }
            }
            return append(secrets.computeIfAbsent(path.value(), p -> new StoredSecret()), fields, version.stage(), version.token());
        });
    }

    @Override
    public Uni<Void> moveStage(SecretPath path, StageMove move) {
        if (!capabilities.contains(BackendCapability.STAGES)) {
            return unsupported("move a stage of", path.value());
        }
        moveCalls.incrementAndGet();
        return served("move a stage of", path, () -> {
            StoredSecret secret = existing(path, "move a stage of");
            Optional<String> actual = Optional.ofNullable(secret.stages.get(move.stage()));
            if (actual.equals(move.to())) {
                return null;
            }
            if (!actual.equals(move.from())) {
                throw new WriteConflictException(name, "move a stage of", path.value(), WriteConflictException.Reason.STAGE_MOVED);
            }
            if (move.to().isPresent() && secret.version(move.to().get()).isEmpty()) {
                throw new SecretNotFoundException(name, "move a stage of", path.value());
            }
            if (move.to().isEmpty()) {
                secret.stages.remove(move.stage());
                return null;
            }
            String target = move.to().get();
            if (move.stage().equals(Stage.CURRENT)) {
                secret.stages.put(Stage.PREVIOUS, actual.orElseThrow());
                secret.stages.remove(Stage.PENDING, target);
            }
            secret.stages.put(move.stage(), target);
            return null;
        });
    }

    @Override
    public Uni<List<VersionInfo>> versions(SecretPath path) {
        if (!capabilities.contains(BackendCapability.STAGES)) {
            return unsupported("list versions of", path.value());
        }
        listCalls.incrementAndGet();
        return served("list versions of", path, () -> {
            StoredSecret secret = existing(path, "list versions of");
            List<VersionInfo> listed = new ArrayList<>();
            for (StoredVersion version : secret.versions) {
                Set<Stage> held = new LinkedHashSet<>();
                secret.stages.forEach((stage, id) -> {
                    if (id.equals(version.id())) {
                        held.add(stage);
                    }
                });
                listed.add(new VersionInfo(version.id(), Optional.of(version.createdAt()), held));
            }
            return listed;
        });
    }

    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        if (!capabilities.contains(BackendCapability.ISSUE)) {
            return unsupported("issue", rolePath.value());
        }
        issueCalls.incrementAndGet();
        if (failing) {
            return unavailable("issue", rolePath.value());
        }
        if (rejected.contains(rolePath.value())) {
            return Uni.createFrom().failure(new BackendRejectedException(name, "issue", rolePath.value(), 403));
        }
        Uni<Secret> issued = Uni.createFrom().item(() -> {
            int n = leaseCounter.incrementAndGet();
            String id = name + "/" + rolePath.value() + "/" + n;
            Instant now = clock.instant();
            Duration granted = ttl;
            Lease lease;
            if (unleased) {
                lease = Lease.expiring(now, granted);
            } else {
                leaseExpiry.put(id, now.plus(granted));
                lease = Lease.leased(id, now, granted, true);
            }
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("username", "user-" + n);
            fields.put("password", passwordOf(n));
            return new Secret(new SecretRef(name, rolePath), SecretValue.ofStrings(fields), Optional.empty(), lease);
        });
        if (holdIssues) {
            CompletableFuture<Void> gate = new CompletableFuture<>();
            heldIssues.add(gate);
            return Uni.createFrom().completionStage(gate).chain(() -> issued);
        }
        return issued;
    }

    @Override
    public Uni<Lease> renew(String leaseId, Duration increment) {
        if (!capabilities.contains(BackendCapability.RENEW)) {
            return unsupported("renew", "lease:?");
        }
        renewCalls.incrementAndGet();
        if (failing) {
            return unavailable("renew", leaseId.substring(0, Math.max(0, leaseId.lastIndexOf('/'))));
        }
        if (!leaseExpiry.containsKey(leaseId) || revoked.contains(leaseId)) {
            return Uni.createFrom().failure(new SecretNotFoundException(name, "renew", "(lease)"));
        }
        Instant now = clock.instant();
        leaseExpiry.put(leaseId, now.plus(increment));
        return Uni.createFrom().item(Lease.leased(leaseId, now, increment, true));
    }

    @Override
    public Uni<Void> revoke(String leaseId) {
        if (!capabilities.contains(BackendCapability.REVOKE)) {
            return unsupported("revoke", "lease:?");
        }
        revokeCalls.incrementAndGet();
        if (failing) {
            return unavailable("revoke", "(lease)");
        }
        revoked.add(leaseId);
        return Uni.createFrom().voidItem();
    }

    @Override
    public Uni<BackendHealth> health() {
        return Uni.createFrom().item(failing ? BackendHealth.unhealthy("told to fail") : BackendHealth.healthy());
    }

    @Override
    public void close() {
        closeCalls.incrementAndGet();
    }

    // ----- the store -----

    /** Runs one static-secret operation against the maps, unless failing or refused. */
    private <T> Uni<T> served(String operation, SecretPath path, Supplier<T> work) {
        if (failing) {
            return unavailable(operation, path.value());
        }
        if (rejected.contains(path.value())) {
            return Uni.createFrom().failure(new BackendRejectedException(name, operation, path.value(), 403));
        }
        return Uni.createFrom().item(() -> {
            synchronized (this) {
                return work.get();
            }
        });
    }

    private StoredSecret existing(SecretPath path, String operation) {
        StoredSecret secret = secrets.get(path.value());
        if (secret == null) {
            throw new SecretNotFoundException(name, operation, path.value());
        }
        return secret;
    }

    /** Called holding the monitor. */
    private String append(StoredSecret secret, Map<String, String> fields, Stage stage, Optional<String> token) {
        String id = String.valueOf(secret.versions.size() + 1);
        secret.versions.add(new StoredVersion(id, Map.copyOf(fields), clock.instant(), token));
        if (stage.equals(Stage.CURRENT)) {
            Optional.ofNullable(secret.stages.put(Stage.CURRENT, id)).ifPresent(old -> secret.stages.put(Stage.PREVIOUS, old));
        } else {
            secret.stages.put(stage, id);
        }
        return id;
    }

    private <T> Uni<T> unsupported(String operation, String path) {
        return Uni.createFrom().failure(new UnsupportedBackendOperationException(name, operation, path));
    }

    private <T> Uni<T> unavailable(String operation, String path) {
        return Uni.createFrom().failure(new BackendUnavailableException(name, operation, path, "told to fail", null));
    }

    @Override
    public String toString() {
        return "FakeBackend[" + name + "]";
    }

    /** Creates {@link FakeBackend}s; configurable type, instance names and per-instance validation problems. */
    public static final class Factory implements SecretBackendFactory {

        private final String type;
        private final InstantSource clock;
        private final Set<String> instances;
        private final Map<String, List<String>> problems = new ConcurrentHashMap<>();
        private final Map<String, Set<BackendCapability>> capabilities = new ConcurrentHashMap<>();
        private final Map<String, FakeBackend> created = new ConcurrentHashMap<>();
        private final List<String> validated = new CopyOnWriteArrayList<>();

        public Factory(String type, InstantSource clock, String... instances) {
            this.type = type;
            this.clock = clock;
            this.instances = new LinkedHashSet<>(List.of(instances));
        }

        public Factory(InstantSource clock, String... instances) {
            this(TYPE, clock, instances);
        }

        /** Makes {@link #validate(String)} report these problems for {@code instance}. */
        public Factory problems(String instance, String... found) {
            problems.put(instance, List.of(found));
            return this;
        }

        /** Makes {@code instance} declare only these capabilities (every one by default). */
        public Factory capabilities(String instance, Set<BackendCapability> declared) {
            capabilities.put(instance, Set.copyOf(declared));
            return this;
        }

        /** The backend created for {@code instance}; fails if the registry did not create it. */
        public FakeBackend backend(String instance) {
            FakeBackend backend = created.get(instance);
            if (backend == null) {
                throw new IllegalStateException("no fake backend '" + instance + "' was created");
            }
            return backend;
        }

        public int createdCount() {
            return created.size();
        }

        public List<String> validatedInstances() {
            return new ArrayList<>(validated);
        }

        @Override
        public String type() {
            return type;
        }

        @Override
        public Set<BackendCapability> capabilities() {
            return EnumSet.allOf(BackendCapability.class);
        }

        @Override
        public Set<String> configuredInstances() {
            return instances;
        }

        @Override
        public List<String> validate(String instance) {
            validated.add(instance);
            return problems.getOrDefault(instance, List.of());
        }

        @Override
        public SecretBackend create(String instance) {
            return created.computeIfAbsent(instance, i -> new FakeBackend(i, clock,
                    capabilities.getOrDefault(i, EnumSet.allOf(BackendCapability.class))));
        }
    }
}
