package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.support.TickingClock;
import io.smallrye.mutiny.Uni;
import java.security.SecureRandom;
import java.time.Duration;
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

    @Test
    void aWrongSecretForAKnownIdCostsWhatAnUnknownIdCosts() {
        String token = service.issue("ci", Optional.empty(), "token:admin").await().indefinitely().secret();
        ApiTokens.Parsed good = ApiTokens.parse(token).orElseThrow();
        assertThat(service.verify(good).await().indefinitely().subject()).isEqualTo("token:ci");
        assertThat(service.verify(good).await().indefinitely().subject()).isEqualTo("token:ci");
        int afterWarmCache = tokens.reads.get();
        assertThat(afterWarmCache).as("the second verification came from the cache").isEqualTo(1);

        ApiTokens.Parsed wrongSecret = ApiTokens.parse("lyt_" + good.id() + "_" + "A".repeat(43)).orElseThrow();
        assertThatThrownBy(() -> service.verify(wrongSecret).await().indefinitely()).isInstanceOf(AuthenticationException.class);
        int wrongSecretReads = tokens.reads.get() - afterWarmCache;

        ApiTokens.Parsed unknownId = ApiTokens.parse(ApiTokens.generate(new SecureRandom())).orElseThrow();
        int beforeUnknown = tokens.reads.get();
        assertThatThrownBy(() -> service.verify(unknownId).await().indefinitely()).isInstanceOf(AuthenticationException.class);
        int unknownReads = tokens.reads.get() - beforeUnknown;

        assertThat(wrongSecretReads).isEqualTo(unknownReads).isEqualTo(1);
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
