package dev.lanyard.broker;

import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Grants by key, served until their refresh point; one load at a time per key (single-flight).
 *
 * <p>A request that finds no fresh grant either joins the load already in flight for its key or starts one;
 * all joiners receive the same result. A failed load is not cached: the next request tries again.
 *
 * <p>A change that drops grants (revocation, rotation, a write) also detaches the loads in flight for the keys it
 * concerns: such a load may have read the value the change replaced, so its result goes to the requests that were
 * already waiting for it — they asked before the change — but never into the cache, and the next request starts a
 * load of its own.
 *
 * <p>Secret values do not outlive their use: a grant that is replaced, evicted (revocation, rotation) or past its
 * expiry leaves the cache at the next {@link #sweep()} and its value is zeroed {@link #RETIREMENT} later. The delay
 * lets a response that took the grant just before it left finish writing it; no request holds a value that long.
 */
final class LeaseCache<K> {

    /** How long a grant that left the cache keeps its value for responses already writing it. */
    static final Duration RETIREMENT = Duration.ofSeconds(30);

    /** What a lookup found, for metrics. */
    enum Result { HIT, MISS, JOINED }

    /**
     * @param sharers how many requests waited for the load that produced the grant (1 for a hit): a late joiner may
     *                find a load that has just finished, so later requests can count more than earlier ones
     */
    record Lookup(Grant grant, Result result, int sharers) {}

    private record Retired(Grant grant, Instant at) {}

    /** One load in flight; {@code stale} once a change concerning its key detached it. */
    private static final class Flight {
        Uni<Grant> load;
        volatile boolean stale;
        final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
    }

    private final InstantSource clock;
    /** How long a grant may stay: its expiry, or later for a static value that may be served stale. */
    private final java.util.function.Function<Grant, Instant> keepUntil;
    private final ConcurrentHashMap<K, Grant> grants = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<K, Flight> inFlight = new ConcurrentHashMap<>();
    private final Queue<Retired> retired = new ConcurrentLinkedQueue<>();
    /** Grants dropped because a change made them stale (revocation, rotation, a write), and because they expired. */
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();

    LeaseCache(InstantSource clock) {
        this(clock, Grant::expiresAt);
    }

    LeaseCache(InstantSource clock, java.util.function.Function<Grant, Instant> keepUntil) {
        this.clock = clock;
        this.keepUntil = keepUntil;
    }

    Uni<Lookup> get(K key, Supplier<Uni<Grant>> loader) {
        Instant now = clock.instant();
        Grant cached = grants.get(key);
        if (cached != null && now.isBefore(cached.refreshAfter())) {
            return Uni.createFrom().item(new Lookup(cached, Result.HIT, 1));
        }
        boolean[] started = {false};
        Flight flight = inFlight.computeIfAbsent(key, k -> {
            started[0] = true;
            Flight fresh = new Flight();
            fresh.load = Uni.createFrom().<Grant>deferred(loader::get)
                    .invoke(grant -> {
                        if (!fresh.stale) {
                            replace(k, grant);
                        }
                    })
                    // A block, not an expression: eventually(Supplier<Uni>) would subscribe to the removed Uni, i.e. itself.
                    .eventually(() -> {
                        inFlight.remove(k, fresh);
                    })
                    .memoize().indefinitely();
            return fresh;
        });
        Result result = started[0] ? Result.MISS : Result.JOINED;
        flight.waiting.incrementAndGet();
        return flight.load.map(grant -> new Lookup(grant, result, flight.waiting.get()));
    }

    Optional<Grant> peek(K key) {
        return Optional.ofNullable(grants.get(key));
    }

    void replace(K key, Grant grant) {
        Grant previous = grants.put(key, grant);
        if (previous != null && previous != grant) {
            retire(previous);
        }
    }

    /** Drops every grant the predicate selects (revocation, rotation). */
    int evictIf(Predicate<Grant> selector) {
        int evicted = evict(selector);
        dropped.addAndGet(evicted);
        return evicted;
    }

    /**
     * Drops every grant the first predicate selects and detaches every load in flight for a key the second selects:
     * a change to what those keys name (a write, a finished rotation) may have landed after such a load read.
     */
    int evictIf(Predicate<Grant> selector, Predicate<K> loading) {
        inFlight.entrySet().removeIf(entry -> {
            boolean detach = loading.test(entry.getKey());
            if (detach) {
                entry.getValue().stale = true;
            }
            return detach;
        });
        return evictIf(selector);
    }

    private int evict(Predicate<Grant> selector) {
        int[] evicted = {0};
        grants.entrySet().removeIf(e -> {
            boolean drop = selector.test(e.getValue());
            if (drop) {
                evicted[0]++;
                retire(e.getValue());
            }
            return drop;
        });
        return evicted[0];
    }

    /**
     * Drops grants past their expiry (or, for a value that may be served stale, past that) and zeroes the values of grants that left the cache more than
     * {@link #RETIREMENT} ago. Run periodically; returns how many values were zeroed.
     */
    int sweep() {
        Instant now = clock.instant();
        expired.addAndGet(evict(grant -> !now.isBefore(keepUntil.apply(grant))));
        int zeroed = 0;
        Retired oldest;
        while ((oldest = retired.peek()) != null && !now.isBefore(oldest.at().plus(RETIREMENT))) {
            if (retired.remove(oldest)) {
                oldest.grant().secret().value().close();
                zeroed++;
            }
        }
        return zeroed;
    }

    private void retire(Grant grant) {
        retired.add(new Retired(grant, clock.instant()));
    }

    int size() {
        return grants.size();
    }

    long dropped() {
        return dropped.get();
    }

    long expired() {
        return expired.get();
    }
}
