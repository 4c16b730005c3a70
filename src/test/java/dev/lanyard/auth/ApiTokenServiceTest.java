package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.support.TickingClock;
import io.smallrye.mutiny.Uni;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ApiTokenServiceTest {

    private final TickingClock clock = new TickingClock();

    /** The token table in memory, counting reads: the cost an attacker could time. */
    private static final class CountingTokens extends ApiTokenRepository {
        final Map<String, ApiTokenEntity> rows = new ConcurrentHashMap<>();
        final AtomicInteger reads = new AtomicInteger();

        @Override
        Uni<ApiTokenEntity> byId(String id) {
            reads.incrementAndGet();
            return Uni.createFrom().item(rows.get(id));
        }

        @Override
        Uni<ApiTokenEntity> insert(ApiTokenEntity token) {
            rows.put(token.id, token);
            return Uni.createFrom().item(token);
        }
    }

    private final CountingTokens tokens = new CountingTokens();
    private final ApiTokenService service = new ApiTokenService(tokens, config(Duration.ofSeconds(10)), clock);

    /**
     * Measured, not assumed: many interleaved batches of each refusal, timed side by side in this run, and the ratio of
     * their medians. The repository here answers from memory, so what is timed is everything Lanyard itself does for a
     * refusal (hashing, comparing, the cache); in production a database read that both paths make once (counted below)
     * comes on top and hides a difference further. A ratio of medians of interleaved batches, not an absolute time, is
     * what a shared, noisy machine can measure reliably; the bound is generous (half again either way: 1.1 to 1.25 is
     * measured here under load) and still far from the gap this test found (a wrong secret for a cached token hashed
     * twice, an unknown id not at all: 3.6 times the cost).
     */
    @Test
    void aWrongSecretForAKnownIdCostsWhatAnUnknownIdCosts() {
        String token = service.issue("ci", Optional.empty(), "token:admin").await().indefinitely().secret();
        ApiTokens.Parsed good = ApiTokens.parse(token).orElseThrow();
        assertThat(service.verify(good).await().indefinitely().subject()).isEqualTo("token:ci");
        assertThat(service.verify(good).await().indefinitely().subject()).isEqualTo("token:ci");
        int afterWarmCache = tokens.reads.get();
        assertThat(afterWarmCache).as("the second verification came from the cache").isEqualTo(1);

        ApiTokens.Parsed wrongSecret = ApiTokens.parse("lyt_" + good.id() + "_" + "A".repeat(43)).orElseThrow();
        ApiTokens.Parsed unknownId = ApiTokens.parse(ApiTokens.generate(new SecureRandom())).orElseThrow();
        refused(wrongSecret);
        assertThat(tokens.reads.get() - afterWarmCache).as("database reads for a wrong secret").isEqualTo(1);
        refused(unknownId);
        assertThat(tokens.reads.get() - afterWarmCache).as("database reads for an unknown id").isEqualTo(2);
        // The token is back in the cache, as it is between an attacker's probes.
        service.verify(good).await().indefinitely();

        int batch = 200;
        int samples = 301;
        for (int i = 0; i < 50; i++) { // warm-up, so both paths are compiled before anything is timed
            timeBatch(wrongSecret, good, batch);
            timeBatch(unknownId, good, batch);
        }
        long[] wrong = new long[samples];
        long[] unknown = new long[samples];
        for (int i = 0; i < samples; i++) {
            // Alternating which goes first cancels drift (another build taking a core, frequency changes).
            if (i % 2 == 0) {
                wrong[i] = timeBatch(wrongSecret, good, batch);
                unknown[i] = timeBatch(unknownId, good, batch);
            } else {
                unknown[i] = timeBatch(unknownId, good, batch);
                wrong[i] = timeBatch(wrongSecret, good, batch);
            }
        }
        double ratio = (double) median(wrong) / median(unknown);
        System.out.printf("token refusal cost: wrong secret %d ns, unknown id %d ns per batch of %d; ratio %.2f%n",
                median(wrong), median(unknown), batch, ratio);
        assertThat(ratio).as("median cost of a wrong secret for a known, cached id over that of an unknown id")
                .isBetween(1 / 1.5, 1.5);
    }

    /** Times a batch of refusals of {@code probe}, each after {@code good} put the token back in the cache. */
    private long timeBatch(ApiTokens.Parsed probe, ApiTokens.Parsed good, int size) {
        long total = 0;
        for (int i = 0; i < size; i++) {
            service.verify(good).await().indefinitely();
            long started = System.nanoTime();
            refused(probe);
            total += System.nanoTime() - started;
        }
        return total;
    }

    private void refused(ApiTokens.Parsed token) {
        try {
            service.verify(token).await().indefinitely();
            throw new AssertionError("verified " + token);
        } catch (AuthenticationException expected) {
            // the refusal being measured
        }
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @Test
    void theCallerCarriesItsTokensIdFromTheStoreAndFromTheCache() {
        String first = service.issue("shared", Optional.empty(), "token:admin").await().indefinitely().secret();
        String second = service.issue("shared", Optional.empty(), "token:admin").await().indefinitely().secret();
        ApiTokens.Parsed one = ApiTokens.parse(first).orElseThrow();
        ApiTokens.Parsed other = ApiTokens.parse(second).orElseThrow();
        for (int read = 0; read < 2; read++) {
            assertThat(service.verify(one).await().indefinitely()).isEqualTo(Caller.apiToken(one.id(), "shared"));
            assertThat(service.verify(other).await().indefinitely()).isEqualTo(Caller.apiToken(other.id(), "shared"));
        }
        assertThat(one.id()).as("two tokens under one name are told apart by their ids").isNotEqualTo(other.id());
    }

    @Test
    void anExpiredTokenIsRefusedEvenFromTheCache() {
        String token = service.issue("short", Optional.of(Duration.ofMinutes(1)), "token:admin").await().indefinitely().secret();
        ApiTokens.Parsed parsed = ApiTokens.parse(token).orElseThrow();
        assertThat(service.verify(parsed).await().indefinitely().subject()).isEqualTo("token:short");
        clock.advance(Duration.ofSeconds(61));
        assertThatThrownBy(() -> service.verify(parsed).await().indefinitely()).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void aTokenStoreThatCannotAnswerMakesCallersUnverifiableNotUnknown() {
        ApiTokenRepository unreachable = new ApiTokenRepository() {
            @Override
            Uni<ApiTokenEntity> byId(String id) {
                // What a lookup fails with when its connection is closed at lanyard.database.response-timeout.
                return Uni.createFrom().failure(new io.vertx.core.VertxException("Connection closed", true));
            }
        };
        ApiTokenService cut = new ApiTokenService(unreachable, config(Duration.ofSeconds(10)), clock);
        ApiTokens.Parsed token = ApiTokens.parse(ApiTokens.generate(new SecureRandom())).orElseThrow();

        assertThatThrownBy(() -> cut.verify(token).await().indefinitely())
                .isInstanceOf(AuthenticationUnavailableException.class)
                .hasMessageNotContaining(token.secret());
    }

    @Test
    void issuedTokensAndParsedTokensNeverPrintTheirSecret() {
        ApiTokenService.Issued issued = service.issue("ci", Optional.empty(), "token:admin").await().indefinitely();
        String secret = issued.secret().substring(issued.secret().lastIndexOf('_') + 1);
        assertThat(issued.toString()).doesNotContain(secret);
        assertThat(ApiTokens.parse(issued.secret()).orElseThrow().toString()).doesNotContain(secret);
    }

    private static AuthConfig config(Duration cacheTtl) {
        return new AuthConfig() {
            @Override
            public Map<String, String> bootstrapTokens() {
                return Map.of();
            }

            @Override
            public Duration tokenCacheTtl() {
                return cacheTtl;
            }

            @Override
            public Kubernetes kubernetes() {
                throw new UnsupportedOperationException();
            }
        };
    }
}
