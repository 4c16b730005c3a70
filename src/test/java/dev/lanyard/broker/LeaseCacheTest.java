package dev.lanyard.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.broker.LeaseCache.Lookup;
import dev.lanyard.broker.LeaseCache.Result;
import dev.lanyard.secret.Lease;
import dev.lanyard.secret.Secret;
import dev.lanyard.secret.SecretRef;
import dev.lanyard.secret.SecretValue;
import dev.lanyard.support.TickingClock;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaseCacheTest {

    private static final Duration WAIT = Duration.ofSeconds(2);

    private final TickingClock clock = new TickingClock();
    private final LeaseCache<String> cache = new LeaseCache<>(clock);
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** A grant for lease {@code id}, issued now, to be refreshed after {@code refreshIn}. */
    private Grant grant(String path, String id, Duration refreshIn) {
        Instant now = clock.instant();
        Secret secret = new Secret(SecretRef.of("fake", path), SecretValue.ofStrings(Map.of("password", "pw-" + id)),
                Optional.empty(), Lease.leased(id, now, Duration.ofHours(1), true));
        return new Grant(secret, now.plus(Duration.ofHours(1)), now.plus(refreshIn));
    }

    /** A loader that counts its calls and hands out a new grant (lease id {@code <path>/<n>}) each time. */
    private final class CountingLoader implements Supplier<Uni<Grant>> {
        final AtomicInteger calls = new AtomicInteger();
        final String path;
        final Duration refreshIn;

        CountingLoader(String path, Duration refreshIn) {
            this.path = path;
            this.refreshIn = refreshIn;
        }

        @Override
        public Uni<Grant> get() {
            int n = calls.incrementAndGet();
            return Uni.createFrom().item(grant(path, path + "/" + n, refreshIn));
        }
    }

    private static Lookup await(Uni<Lookup> uni) {
        return uni.await().atMost(WAIT);
    }

    /**
     * A miss must complete at all. The in-flight load removes itself from the in-flight map when it terminates; if
     * that clean-up is handed a Uni (the removed in-flight load itself) instead of running as a plain action, the load
     * waits for its own completion and never finishes.
     */
    @Test
    void aMissCompletes() {
        CompletableFuture<Lookup> lookup = cache.get("k", () -> Uni.createFrom().item(grant("creds/a", "creds/a/1",
                Duration.ofMinutes(10)))).subscribeAsCompletionStage();

        assertThat(lookup).succeedsWithin(WAIT).extracting(Lookup::result).isEqualTo(Result.MISS);
    }

    @Test
    void firstGetIsAMissAndLoadsOnce() {
        CountingLoader loader = new CountingLoader("creds/a", Duration.ofMinutes(10));

        Lookup first = await(cache.get("k", loader));

        assertThat(first.result()).isEqualTo(Result.MISS);
        assertThat(first.grant().secret().lease().id()).contains("creds/a/1");
        assertThat(loader.calls).hasValue(1);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.peek("k")).containsSame(first.grant());
    }

    @Test
    void servesTheCachedGrantUntilJustBeforeRefreshAfter() {
        CountingLoader loader = new CountingLoader("creds/a", Duration.ofMinutes(10));
        Grant loaded = await(cache.get("k", loader)).grant();

        clock.advance(Duration.ofMinutes(10).minusMillis(1));
        Lookup hit = await(cache.get("k", loader));

        assertThat(hit.result()).isEqualTo(Result.HIT);
        assertThat(hit.grant()).isSameAs(loaded);
        assertThat(loader.calls).hasValue(1);
    }

    @Test
    void reloadsOnceRefreshAfterIsReached() {
        CountingLoader loader = new CountingLoader("creds/a", Duration.ofMinutes(10));
        Grant loaded = await(cache.get("k", loader)).grant();

        clock.advance(Duration.ofMinutes(10));
        Lookup miss = await(cache.get("k", loader));

        assertThat(miss.result()).isEqualTo(Result.MISS);
        assertThat(miss.grant()).isNotSameAs(loaded);
        assertThat(miss.grant().secret().lease().id()).contains("creds/a/2");
        assertThat(loader.calls).hasValue(2);
        assertThat(cache.peek("k")).containsSame(miss.grant());

        Lookup afterReload = await(cache.get("k", loader));
        assertThat(afterReload.result()).isEqualTo(Result.HIT);
        assertThat(afterReload.grant()).isSameAs(miss.grant());
        assertThat(loader.calls).hasValue(2);
    }

    @Test
    void keysAreIndependent() {
        CountingLoader a = new CountingLoader("creds/a", Duration.ofMinutes(10));
        CountingLoader b = new CountingLoader("creds/b", Duration.ofMinutes(10));

        Lookup ka = await(cache.get("a", a));
        Lookup kb = await(cache.get("b", b));

        assertThat(ka.result()).isEqualTo(Result.MISS);
        assertThat(kb.result()).isEqualTo(Result.MISS);
        assertThat(ka.grant()).isNotSameAs(kb.grant());
        assertThat(a.calls).hasValue(1);
        assertThat(b.calls).hasValue(1);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void concurrentGetsWhileALoadIsPendingShareOneLoad() throws Exception {
        int callers = 32;
        CompletableFuture<Grant> pending = new CompletableFuture<>();
        AtomicInteger loaderCalls = new AtomicInteger();
        Supplier<Uni<Grant>> loader = () -> {
            loaderCalls.incrementAndGet();
            return Uni.createFrom().completionStage(pending);
        };

        CountDownLatch start = new CountDownLatch(1);
        List<Future<CompletableFuture<Lookup>>> submitted = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            submitted.add(pool.submit(() -> {
                start.await();
                return cache.get("k", loader).subscribeAsCompletionStage();
            }));
        }
        start.countDown();
        List<CompletableFuture<Lookup>> lookups = new ArrayList<>();
        for (Future<CompletableFuture<Lookup>> f : submitted) {
            lookups.add(f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        }

        // Everyone has asked and subscribed; the one load is still pending.
        assertThat(loaderCalls).hasValue(1);
        assertThat(lookups).noneMatch(CompletableFuture::isDone);
        assertThat(cache.size()).isZero();

        Grant loaded = grant("creds/a", "creds/a/1", Duration.ofMinutes(10));
        pending.complete(loaded);

        List<Lookup> results = new ArrayList<>();
        for (CompletableFuture<Lookup> lookup : lookups) {
            results.add(lookup.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        }
        assertThat(results).extracting(Lookup::grant).allSatisfy(g -> assertThat(g).isSameAs(loaded));
        assertThat(results).filteredOn(l -> l.result() == Result.MISS).hasSize(1);
        assertThat(results).filteredOn(l -> l.result() == Result.JOINED).hasSize(callers - 1);
        assertThat(loaderCalls).hasValue(1);

        // Once loaded, the next request is a plain hit and no new load starts.
        Lookup next = await(cache.get("k", loader));
        assertThat(next.result()).isEqualTo(Result.HIT);
        assertThat(next.grant()).isSameAs(loaded);
        assertThat(loaderCalls).hasValue(1);
    }

    @Test
    void joinersOfAFailedLoadAllSeeTheFailure() {
        CompletableFuture<Grant> pending = new CompletableFuture<>();
        AtomicInteger loaderCalls = new AtomicInteger();
        Supplier<Uni<Grant>> loader = () -> {
            loaderCalls.incrementAndGet();
            return Uni.createFrom().completionStage(pending);
        };

        CompletableFuture<Lookup> first = cache.get("k", loader).subscribeAsCompletionStage();
        CompletableFuture<Lookup> second = cache.get("k", loader).subscribeAsCompletionStage();
        pending.completeExceptionally(new IllegalStateException("backend down"));

        assertThat(first).failsWithin(WAIT).withThrowableOfType(Exception.class)
                .havingRootCause().isInstanceOf(IllegalStateException.class).withMessage("backend down");
        assertThat(second).failsWithin(WAIT).withThrowableOfType(Exception.class)
                .havingRootCause().isInstanceOf(IllegalStateException.class).withMessage("backend down");
        assertThat(loaderCalls).hasValue(1);
    }

    @Test
    void aFailedLoadIsNotCachedAndTheNextGetLoadsAgain() {
        AtomicInteger loaderCalls = new AtomicInteger();
        Grant good = grant("creds/a", "creds/a/2", Duration.ofMinutes(10));
        Supplier<Uni<Grant>> loader = () -> loaderCalls.incrementAndGet() == 1
                ? Uni.createFrom().failure(new IllegalStateException("backend down"))
                : Uni.createFrom().item(good);

        assertThatThrownBy(() -> await(cache.get("k", loader)))
                .isInstanceOf(IllegalStateException.class).hasMessage("backend down");
        assertThat(cache.size()).isZero();
        assertThat(cache.peek("k")).isEmpty();

        Lookup retry = await(cache.get("k", loader));
        assertThat(retry.result()).isEqualTo(Result.MISS);
        assertThat(retry.grant()).isSameAs(good);
        assertThat(loaderCalls).hasValue(2);
    }

    @Test
    void aLoaderThatThrowsIsAFailedLoadToo() {
        AtomicInteger loaderCalls = new AtomicInteger();
        Supplier<Uni<Grant>> loader = () -> {
            if (loaderCalls.incrementAndGet() == 1) {
                throw new IllegalStateException("thrown, not emitted");
            }
            return Uni.createFrom().item(grant("creds/a", "creds/a/2", Duration.ofMinutes(10)));
        };

        assertThatThrownBy(() -> await(cache.get("k", loader))).hasMessage("thrown, not emitted");
        assertThat(await(cache.get("k", loader)).result()).isEqualTo(Result.MISS);
        assertThat(loaderCalls).hasValue(2);
    }

    @Test
    void evictIfRemovesExactlyTheMatchingGrants() {
        CountingLoader a = new CountingLoader("creds/a", Duration.ofMinutes(10));
        CountingLoader b = new CountingLoader("creds/b", Duration.ofMinutes(10));
        await(cache.get("a1", a));
        await(cache.get("a2", a));
        Grant keptB = await(cache.get("b1", b)).grant();

        int evicted = cache.evictIf(g -> g.secret().ref().path().value().equals("creds/a"));

        assertThat(evicted).isEqualTo(2);
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.peek("a1")).isEmpty();
        assertThat(cache.peek("a2")).isEmpty();
        assertThat(cache.peek("b1")).containsSame(keptB);

        // An evicted key loads again; the untouched one is still a hit.
        Lookup reloaded = await(cache.get("a1", a));
        assertThat(reloaded.result()).isEqualTo(Result.MISS);
        assertThat(a.calls).hasValue(3);
        assertThat(await(cache.get("b1", b)).result()).isEqualTo(Result.HIT);
        assertThat(b.calls).hasValue(1);
    }

    @Test
    void evictIfWithNoMatchEvictsNothing() {
        CountingLoader a = new CountingLoader("creds/a", Duration.ofMinutes(10));
        await(cache.get("a1", a));

        assertThat(cache.evictIf(g -> false)).isZero();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void replaceSwapsTheGrantServedForAKey() {
        CountingLoader a = new CountingLoader("creds/a", Duration.ofMinutes(10));
        await(cache.get("a", a));
        Grant replacement = grant("creds/a", "creds/a/renewed", Duration.ofMinutes(30));

        cache.replace("a", replacement);

        Lookup hit = await(cache.get("a", a));
        assertThat(hit.result()).isEqualTo(Result.HIT);
        assertThat(hit.grant()).isSameAs(replacement);
        assertThat(a.calls).hasValue(1);
    }

    // ----- values do not outlive their use -----

    @Test
    void anExpiredGrantLeavesTheCacheAndItsValueIsZeroedAfterRetirement() {
        Grant expiring = grant("creds/a", "a-1", Duration.ofMinutes(30));
        cache.replace("a", expiring);
        assertThat(cache.sweep()).isZero();
        assertThat(cache.peek("a")).isPresent();

        clock.advance(Duration.ofHours(1)); // its expiry
        assertThat(cache.sweep()).as("just retired, still readable by a response in flight").isZero();
        assertThat(cache.peek("a")).isEmpty();
        assertThat(expiring.secret().value().isClosed()).isFalse();

        clock.advance(LeaseCache.RETIREMENT);
        assertThat(cache.sweep()).isEqualTo(1);
        assertThat(expiring.secret().value().isClosed()).isTrue();
        assertThatThrownBy(() -> expiring.secret().value().reveal()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void evictedAndReplacedGrantsAreZeroedTooButNotTheOnesStillServed() {
        Grant revoked = grant("creds/a", "a-1", Duration.ofMinutes(30));
        Grant stale = grant("creds/b", "b-1", Duration.ofMinutes(30));
        Grant fresh = grant("creds/b", "b-2", Duration.ofMinutes(30));
        cache.replace("a", revoked);
        cache.replace("b", stale);
        cache.evictIf(g -> g == revoked);
        cache.replace("b", fresh);

        clock.advance(LeaseCache.RETIREMENT);
        assertThat(cache.sweep()).isEqualTo(2);
        assertThat(revoked.secret().value().isClosed()).isTrue();
        assertThat(stale.secret().value().isClosed()).isTrue();
        assertThat(fresh.secret().value().isClosed()).isFalse();
        assertThat(cache.peek("b")).contains(fresh);
    }
}
