package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.support.TickingClock;
import io.smallrye.mutiny.Uni;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** Login tokens stand for the ServiceAccount that logged in, live their TTL, renew up to their maximum, end for good. */
class LoginTokenServiceTest {

    private static final Caller WORKLOAD = Caller.serviceAccount("payments", "api");

    private final TickingClock clock = new TickingClock();

    /** The login_token table in memory, with the database's rules on renewal and revocation. */
    private final class Table extends LoginTokenRepository {
        final Map<String, LoginTokenEntity> rows = new ConcurrentHashMap<>();

        @Override
        Uni<LoginTokenEntity> byId(String id) {
            return Uni.createFrom().item(rows.get(id));
        }

        @Override
        Uni<LoginTokenEntity> insert(LoginTokenEntity token) {
            rows.put(token.id, token);
            return Uni.createFrom().item(token);
        }

        @Override
        Uni<Integer> renew(String id, Instant expiresAt, Instant at) {
            LoginTokenEntity row = rows.get(id);
            if (row == null || row.revokedAt != null || !row.expiresAt.isAfter(at)) {
                return Uni.createFrom().item(0);
            }
            assertThat(expiresAt).isBeforeOrEqualTo(row.maxExpiresAt);
            row.expiresAt = expiresAt;
            row.lastRenewedAt = at;
            return Uni.createFrom().item(1);
        }

        @Override
        Uni<Integer> revoke(String id, String by, Instant at) {
            LoginTokenEntity row = rows.get(id);
            if (row == null || row.revokedAt != null) {
                return Uni.createFrom().item(0);
            }
            row.revokedAt = at;
            row.revokedBy = by;
            return Uni.createFrom().item(1);
        }
    }

    private final Table table = new Table();
    private final LoginTokenService service = new LoginTokenService(table, config(), clock);

    private LoginTokenService.Issued login() {
        return service.issue(WORKLOAD, "kubernetes", "app", Duration.ofMinutes(10), Duration.ofMinutes(25)).await().indefinitely();
    }

    private static ApiTokens.Parsed parsed(LoginTokenService.Issued issued) {
        return ApiTokens.parseLogin(issued.secret()).orElseThrow();
    }

    @Test
    void aLoginTokenStandsForTheServiceAccountAndIsNeverAnApiToken() {
        LoginTokenService.Issued issued = login();
        assertThat(issued.secret()).startsWith("lyl_");
        assertThat(ApiTokens.parse(issued.secret())).isEmpty();
        Caller caller = service.verify(parsed(issued)).await().indefinitely();
        // The ServiceAccount, with the login token's id as its credential id, as its audit rows record it.
        assertThat(caller).isEqualTo(Caller.loginToken(issued.token().id(), WORKLOAD.subject()));
        assertThat(caller.kind()).isEqualTo(Caller.Kind.SERVICE_ACCOUNT);
        assertThat(service.verify(parsed(issued)).await().indefinitely()).as("from the cache").isEqualTo(caller);
        assertThat(issued.toString()).doesNotContain(parsed(issued).secret());
        assertThat(table.rows.get(issued.token().id()).secretHash).isNotEqualTo(parsed(issued).secret().getBytes());
    }

    @Test
    void itExpiresAfterItsTtlEvenFromTheCache() {
        LoginTokenService.Issued issued = login();
        service.verify(parsed(issued)).await().indefinitely();
        clock.advance(Duration.ofMinutes(10).plusSeconds(1));
        assertThatThrownBy(() -> service.verify(parsed(issued)).await().indefinitely()).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void renewalExtendsByTheIncrementOrItsTtlButNeverPastItsMaximum() {
        LoginTokenService.Issued issued = login();
        Instant start = clock.instant();
        clock.advance(Duration.ofMinutes(5));
        LoginToken renewed = service.renew(parsed(issued), Optional.empty()).await().indefinitely();
        assertThat(renewed.expiresAt()).isEqualTo(start.plus(Duration.ofMinutes(15)));
        clock.advance(Duration.ofMinutes(9));
        renewed = service.renew(parsed(issued), Optional.of(Duration.ofHours(1))).await().indefinitely();
        assertThat(renewed.expiresAt()).isEqualTo(start.plus(Duration.ofMinutes(25)));
        assertThat(renewed.renewableAt(clock.instant())).isFalse();
        clock.advance(Duration.ofMinutes(10));
        assertThat(service.verify(parsed(issued)).await().indefinitely())
                .isEqualTo(Caller.loginToken(issued.token().id(), WORKLOAD.subject()));
        clock.advance(Duration.ofMinutes(2));
        assertThatThrownBy(() -> service.verify(parsed(issued)).await().indefinitely()).isInstanceOf(AuthenticationException.class);
    }

    @Test
    void revocationIsFinalAndTakesEffectAtOnceOnThisReplica() {
        LoginTokenService.Issued issued = login();
        service.verify(parsed(issued)).await().indefinitely();
        service.revoke(parsed(issued), WORKLOAD.subject()).await().indefinitely();
        assertThatThrownBy(() -> service.verify(parsed(issued)).await().indefinitely()).isInstanceOf(AuthenticationException.class);
        assertThatThrownBy(() -> service.renew(parsed(issued), Optional.empty()).await().indefinitely())
                .isInstanceOf(AuthenticationException.class);
    }

    @Test
    void aWrongSecretIsRefused() {
        LoginTokenService.Issued issued = login();
        ApiTokens.Parsed forged = ApiTokens.parseLogin("lyl_" + issued.token().id() + "_" + "A".repeat(43)).orElseThrow();
        assertThatThrownBy(() -> service.verify(forged).await().indefinitely()).isInstanceOf(AuthenticationException.class);
        assertThatThrownBy(() -> service.revoke(forged, "x").await().indefinitely()).isInstanceOf(AuthenticationException.class);
    }

    /**
     * As ApiTokenServiceTest measures for API tokens: a wrong secret for a known, cached login token costs what an unknown
     * id costs, so timing does not tell which ids exist. Interleaved batches timed side by side in this run and the ratio
     * of their medians, with the same generous bound (half again either way); before the secret was hashed once, first,
     * a cached token's wrong secret was hashed twice and an unknown id never.
     */
    @Test
    void aWrongSecretForAKnownIdCostsWhatAnUnknownIdCosts() {
        LoginTokenService.Issued issued = login();
        ApiTokens.Parsed good = parsed(issued);
        ApiTokens.Parsed wrongSecret = ApiTokens.parseLogin("lyl_" + issued.token().id() + "_" + "A".repeat(43)).orElseThrow();
        ApiTokens.Parsed unknownId = ApiTokens.parseLogin(login().secret()).orElseThrow();
        table.rows.remove(unknownId.id());
        int batch = 200;
        int samples = 301;
        for (int i = 0; i < 50; i++) { // warm-up, so both paths are compiled before anything is timed
            timeBatch(wrongSecret, good, batch);
            timeBatch(unknownId, good, batch);
        }
        long[] wrong = new long[samples];
        long[] unknown = new long[samples];
        for (int i = 0; i < samples; i++) {
            if (i % 2 == 0) {
                wrong[i] = timeBatch(wrongSecret, good, batch);
                unknown[i] = timeBatch(unknownId, good, batch);
            } else {
                unknown[i] = timeBatch(unknownId, good, batch);
                wrong[i] = timeBatch(wrongSecret, good, batch);
            }
        }
        double ratio = (double) median(wrong) / median(unknown);
        System.out.printf("login token refusal cost: wrong secret %d ns, unknown id %d ns per batch of %d; ratio %.2f%n",
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
            try {
                service.verify(probe).await().indefinitely();
                throw new AssertionError("verified " + probe);
            } catch (AuthenticationException expected) {
                total += System.nanoTime() - started;
            }
        }
        return total;
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    @Test
    void onlyServiceAccountsLogIn() {
        assertThatThrownBy(() -> service.issue(Caller.apiToken("00000000000000aa", "ci"), "kubernetes", "app", Duration.ofMinutes(1),
                Duration.ofMinutes(2))).isInstanceOf(IllegalArgumentException.class);
    }

    private static AuthConfig config() {
        return new AuthConfig() {
            @Override
            public Map<String, String> bootstrapTokens() {
                return Map.of();
            }

            @Override
            public Duration tokenCacheTtl() {
                return Duration.ofSeconds(10);
            }

            @Override
            public Kubernetes kubernetes() {
                throw new UnsupportedOperationException();
            }
        };
    }
}
