package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.it.FakePostgres;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connections to a declared target against a server that declines TLS and asks for a cleartext password
 * ({@link FakePostgres}): under the modes that require TLS not a byte of a password, nor the user's name, reaches it;
 * only a loopback target declared {@code disable} is sent one, which is what that declaration means.
 */
class PostgresTargetTest {

    private final FakePostgres fake = FakePostgres.start();

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void verifiedTlsDeclinedSendsNoPasswordAndNoUser() {
        PostgresTarget target = target("verify-full", "prefer", Duration.ofSeconds(30));
        assertThatThrownBy(() -> target.logsIn("app", "the-current-password")).isInstanceOfSatisfying(StepFailure.class,
                failure -> assertThat(failure.code()).isEqualTo(StepCode.TARGET_INSECURE));
        assertThatThrownBy(() -> target.setPassword("postgres", "the-admin-password", "app", "the-pending-password"))
                .isInstanceOfSatisfying(StepFailure.class, failure -> assertThat(failure.code()).isEqualTo(StepCode.TARGET_INSECURE));
        assertThat(fake.encryptionRequests()).isEqualTo(2);
        assertThat(fake.users()).isEmpty();
        assertThat(fake.passwords()).isEmpty();
    }

    @Test
    void unverifiedTlsWithChannelBindingDeclinedSendsNoPassword() {
        PostgresTarget target = target("require", "require", Duration.ofSeconds(30));
        assertThatThrownBy(() -> target.logsIn("app", "the-current-password")).isInstanceOfSatisfying(StepFailure.class,
                failure -> assertThat(failure.code()).isEqualTo(StepCode.TARGET_INSECURE));
        assertThat(fake.passwords()).isEmpty();
    }

    @Test
    void aLoopbackTargetDeclaredWithoutTlsIsSentThePasswordItAsksFor() {
        PostgresTarget target = target("disable", "prefer", Duration.ofSeconds(30));
        assertThat(target.logsIn("app", "the-current-password")).isFalse();
        assertThat(fake.users()).containsExactly("app");
        assertThat(fake.passwords()).containsExactly("the-current-password");
    }

    @Test
    void aStepWithTooLittleTimeLeftOpensNoConnection() {
        PostgresTarget target = new PostgresTarget(declared("disable", "prefer"),
                new StepDeadline(System.nanoTime() - 1, Duration.ofSeconds(30)));
        assertThatThrownBy(() -> target.setPassword("postgres", "the-admin-password", "app", "the-pending-password"))
                .isInstanceOfSatisfying(StepFailure.class, failure -> assertThat(failure.code()).isEqualTo(StepCode.STEP_TIMEOUT));
        assertThat(fake.connections()).isZero();
    }

    private PostgresTarget target(String sslMode, String channelBinding, Duration step) {
        return new PostgresTarget(declared(sslMode, channelBinding), StepDeadline.in(step));
    }

    private RotationTargets.Declared declared(String sslMode, String channelBinding) {
        return RotationTargetsTest.targets(Map.of("fake", RotationTargetsTest.target("127.0.0.1", fake.port(), sslMode,
                channelBinding, Optional.empty()))).find("fake").orElseThrow();
    }
}
