package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.secret.SecretRef;
import dev.lanyard.support.TickingClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RemovalGuardTest {

    private final TickingClock clock = new TickingClock();
    private final SecretRef db = SecretRef.of("openbao", "secret/payments/db");
    private final SecretRef api = SecretRef.of("openbao", "secret/payments/api");
    private final SecretRef cache = SecretRef.of("openbao", "secret/orders/cache");
    private final SecretRef elsewhere = SecretRef.of("aws", "payments/db");
    private final List<SecretRef> known = List.of(db, api, cache, elsewhere);

    @Test
    void aBackendThatAnswersNotFoundForEverythingIsRefusedBackendWide() {
        RemovalGuard guard = new RemovalGuard(Set.of(), clock);
        Instant fetched = clock.instant();
        known.forEach(ref -> guard.found(ref, fetched));
        clock.advance(Duration.ofMinutes(5));
        // the mount was re-created empty: every secret on openbao is gone; aws is fine
        guard.notFound(db);
        guard.notFound(api);
        guard.notFound(cache);
        guard.found(elsewhere, clock.instant());

        RemovalGuard.Decision decision = guard.mayRemove(Set.of(db), known);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.message()).contains("backend openbao answers not found for every secret", "(3)",
                "lanyard.k8s.backend-wide-removal");
    }

    @Test
    void valuesServedFromBeforeTheSecretWentMissingAreNoEvidence() {
        RemovalGuard guard = new RemovalGuard(Set.of(), clock);
        guard.found(api, clock.instant());
        clock.advance(Duration.ofSeconds(30));
        guard.notFound(db);
        clock.advance(Duration.ofSeconds(30));
        // api read again, but served from the broker's cache: its value was fetched before db went missing
        guard.found(api, clock.instant().minusSeconds(60));

        RemovalGuard.Decision decision = guard.mayRemove(Set.of(db), known);
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.message()).contains("has served no other secret since");
    }

    @Test
    void anotherSecretFetchedFromTheSameBackendSinceAllowsTheRemoval() {
        RemovalGuard guard = new RemovalGuard(Set.of(), clock);
        guard.notFound(db);
        clock.advance(Duration.ofSeconds(10));
        guard.found(elsewhere, clock.instant());
        assertThat(guard.mayRemove(Set.of(db), known).allowed()).as("another backend's answer proves nothing").isFalse();

        guard.found(api, clock.instant());
        assertThat(guard.mayRemove(Set.of(db), known).allowed()).isTrue();
    }

    @Test
    void theWaveStartsAtTheFirstNotFoundAndAFoundAnswerEndsIt() {
        RemovalGuard guard = new RemovalGuard(Set.of(), clock);
        guard.notFound(db);
        Instant first = clock.instant();
        clock.advance(Duration.ofSeconds(10));
        guard.notFound(db);
        guard.found(api, first.plusSeconds(5));
        assertThat(guard.mayRemove(Set.of(db), known).allowed()).as("fetched after the first not found").isTrue();

        // db came back, then went missing again: the evidence must be newer than the new disappearance
        guard.found(db, clock.instant());
        clock.advance(Duration.ofSeconds(10));
        guard.notFound(db);
        assertThat(guard.mayRemove(Set.of(db), known).allowed()).isFalse();
    }

    @Test
    void aListedBackendNeedsNoEvidence() {
        RemovalGuard guard = new RemovalGuard(Set.of("openbao"), clock);
        guard.notFound(db);
        guard.notFound(api);
        guard.notFound(cache);
        assertThat(guard.mayRemove(Set.of(db, api, cache), known).allowed()).isTrue();
        guard.notFound(elsewhere);
        assertThat(guard.mayRemove(Set.of(elsewhere), known).allowed()).as("only the listed backend").isFalse();
    }
}
