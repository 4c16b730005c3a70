package dev.lanyard.spi;

import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
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

/**
 * An in-memory {@link SecretBackend} for tests: static secrets in a map, leases with ids
 * {@code <name>/<rolePath>/<n>} (so {@code fake/creds/role/1}), call counters, and switches to fail every call with
 * {@link BackendUnavailableException} or to hold issue calls until released. {@link Factory} is the matching
 * {@link SecretBackendFactory}.
 */
public final class FakeBackend implements SecretBackend {

    public static final String TYPE = "fake";

    private final String name;
    private final InstantSource clock;
    private final Set<BackendCapability> capabilities;

    private final AtomicInteger issueCalls = new AtomicInteger();
    private final AtomicInteger readCalls = new AtomicInteger();
    private final AtomicInteger renewCalls = new AtomicInteger();
    private final AtomicInteger revokeCalls = new AtomicInteger();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final AtomicInteger leaseCounter = new AtomicInteger();

    private final Map<String, Map<String, String>> staticSecrets = new ConcurrentHashMap<>();
    private final Map<String, Instant> leaseExpiry = new ConcurrentHashMap<>();
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final List<CompletableFuture<Void>> heldIssues = new CopyOnWriteArrayList<>();

    private volatile Duration ttl = Duration.ofHours(1);
    private volatile boolean failing;
    private volatile boolean holdIssues;

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

    public FakeBackend putStatic(String path, Map<String, String> fields) {
        staticSecrets.put(path, Map.copyOf(fields));
        return this;
    }

    public int issueCalls() {
        return issueCalls.get();
    }

    public int readCalls() {
        return readCalls.get();
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
    public Uni<Secret> read(SecretPath path, Optional<String> version) {
        readCalls.incrementAndGet();
        if (failing) {
            return unavailable("read", path.value());
        }
        Map<String, String> fields = staticSecrets.get(path.value());
        if (fields == null || version.isPresent() && !version.get().equals("1")) {
            return Uni.createFrom().failure(new SecretNotFoundException(name, "read", path.value()));
        }
        Lease lease = Lease.of(null, clock.instant(), Duration.ZERO, false);
        return Uni.createFrom().item(new Secret(new SecretRef(name, path), SecretValue.ofStrings(fields),
                Optional.of("1"), lease));
    }

    @Override
    public Uni<Secret> issue(SecretPath rolePath) {
        issueCalls.incrementAndGet();
        if (failing) {
            return unavailable("issue", rolePath.value());
        }
        Uni<Secret> issued = Uni.createFrom().item(() -> {
            int n = leaseCounter.incrementAndGet();
            String id = name + "/" + rolePath.value() + "/" + n;
            Instant now = clock.instant();
            Duration granted = ttl;
            leaseExpiry.put(id, now.plus(granted));
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("username", "user-" + n);
            fields.put("password", passwordOf(n));
            return new Secret(new SecretRef(name, rolePath), SecretValue.ofStrings(fields), Optional.empty(),
                    Lease.of(id, now, granted, true));
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
        renewCalls.incrementAndGet();
        if (failing) {
            return unavailable("renew", leaseId.substring(0, Math.max(0, leaseId.lastIndexOf('/'))));
        }
        if (!leaseExpiry.containsKey(leaseId) || revoked.contains(leaseId)) {
            return Uni.createFrom().failure(new SecretNotFoundException(name, "renew", "(lease)"));
        }
        Instant now = clock.instant();
        leaseExpiry.put(leaseId, now.plus(increment));
        return Uni.createFrom().item(Lease.of(leaseId, now, increment, true));
    }

    @Override
    public Uni<Void> revoke(String leaseId) {
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
            return created.computeIfAbsent(instance, i -> new FakeBackend(i, clock));
        }
    }
}
