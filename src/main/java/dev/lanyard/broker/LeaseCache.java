package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Grants by key, served until their refresh point; one load at a time per key (single-flight).
 *
 * <p>A request that finds no fresh grant either joins the load already in flight for its key or starts one;
 * all joiners receive the same result. A failed load is not cached: the next request tries again.
 */
final class LeaseCache<K> {

    /** What a lookup found, for metrics. */
    enum Result { HIT, MISS, JOINED }

    record Lookup(Grant grant, Result result) {}

    private final InstantSource clock;
    private final ConcurrentHashMap<K, Grant> grants = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<K, Uni<Grant>> inFlight = new ConcurrentHashMap<>();

    LeaseCache(InstantSource clock) {
        this.clock = clock;
    }

    Uni<Lookup> get(K key, Supplier<Uni<Grant>> loader) {
        Instant now = clock.instant();
        Grant cached = grants.get(key);
        if (cached != null && now.isBefore(cached.refreshAfter())) {
            return Uni.createFrom().item(new Lookup(cached, Result.HIT));
        }
        boolean[] started = {false};
        Uni<Grant> load = inFlight.computeIfAbsent(key, k -> {
            started[0] = true;
            return Uni.createFrom().<Grant>deferred(loader::get)
                    .invoke(grant -> grants.put(k, grant))
                    // A block, not an expression: eventually(Supplier<Uni>) would subscribe to the removed Uni, i.e. itself.
                    .eventually(() -> {
                        inFlight.remove(k);
                    })
                    .memoize().indefinitely();
        });
        Result result = started[0] ? Result.MISS : Result.JOINED;
        return load.map(grant -> new Lookup(grant, result));
    }

    Optional<Grant> peek(K key) {
        return Optional.ofNullable(grants.get(key));
    }

    void replace(K key, Grant grant) {
        grants.put(key, grant);
    }

    /** Drops every grant the predicate selects (revocation, rotation). */
    int evictIf(Predicate<Grant> selector) {
        int[] evicted = {0};
        grants.entrySet().removeIf(e -> {
            boolean drop = selector.test(e.getValue());
            if (drop) {
                evicted[0]++;
            }
            return drop;
        });
        return evicted[0];
    }

    int size() {
        return grants.size();
    }
}
