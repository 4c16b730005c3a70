package dev.lanyard.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What an operator may declare as a rotation target, and how schedules and runs name one: a declaration that would let a
 * password travel in the clear or to an unverified server stops the start, and a schedule can name a declared target
 * only, never a host.
 */
class RotationTargetsTest {

    @Test
    void aTargetIsVerifiedTlsUnlessDeclaredOtherwise() {
        RotationTargets.Declared declared = targets(Map.of("payments-db", target("db.internal", "verify-full", "prefer")))
                .find("payments-db").orElseThrow();
        assertThat(declared.sslMode()).isEqualTo(RotationTargets.SslMode.VERIFY_FULL);
        assertThat(declared.url()).isEqualTo("jdbc:postgresql://db.internal:5432/payments");
        assertThat(targets(Map.of("v6", target("fd00::5", "verify-full", "require"))).find("v6").orElseThrow().url())
                .isEqualTo("jdbc:postgresql://[fd00::5]:5432/payments");
    }

    @Test
    void declarationsThatCouldHandAPasswordToAnyoneStopTheStartAllReportedTogether() {
        Map<String, RotationConfig.Target> bad = new LinkedHashMap<>();
        bad.put("plain", target("db.internal", "disable", "prefer"));
        bad.put("unverified", target("db.internal", "require", "prefer"));
        bad.put("fallback", target("db.internal", "prefer", "prefer"));
        bad.put("binding", target("127.0.0.1", "disable", "require"));
        bad.put("Bad_Name", target("db.internal", "verify-full", "prefer"));
        bad.put("url", target("db.internal/x?socketFactory=y", "verify-full", "prefer"));
        assertThatThrownBy(() -> targets(bad)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("\"plain\".ssl-mode=disable is accepted only for a loopback host")
                .hasMessageContaining("\"unverified\".ssl-mode=require does not verify the server")
                .hasMessageContaining("\"fallback\".ssl-mode is verify-full, verify-ca, require or disable")
                .hasMessageContaining("\"binding\".channel-binding=require needs TLS")
                .hasMessageContaining("\"Bad_Name\": a target's name")
                .hasMessageContaining("\"url\".host is a host name or an IP address");
    }

    @Test
    void withoutTlsOnlyALoopbackHostAndUnverifiedTlsOnlyWithChannelBinding() {
        RotationTargets targets = targets(Map.of("sidecar", target("127.0.0.1", "disable", "prefer"),
                "local", target("localhost", "disable", "prefer"), "bound", target("db.internal", "require", "require")));
        assertThat(targets.find("sidecar")).isPresent();
        assertThat(targets.find("local")).isPresent();
        assertThat(targets.find("bound").orElseThrow().channelBindingRequired()).isTrue();
    }

    @Test
    void aScheduleNamesADeclaredTargetAndNeverAUrl() {
        RotationTargets targets = targets(Map.of("payments-db", target("db.internal", "verify-full", "prefer")));
        assertThat(targets.forSchedule(Map.of("target", "payments-db")).host()).isEqualTo("db.internal");
        assertThatThrownBy(() -> targets.forSchedule(Map.of("jdbc_url", "jdbc:postgresql://attacker.example/db")))
                .isInstanceOf(InvalidRotationException.class).hasMessageContaining("'jdbc_url' is no longer accepted")
                .hasMessageContaining("'target'");
        assertThatThrownBy(() -> targets.forSchedule(Map.of("target", "elsewhere")))
                .isInstanceOf(InvalidRotationException.class).hasMessageContaining("no rotation target an operator declared");
    }

    @Test
    void aRunOfAScheduleStoredWithAUrlOrAnUndeclaredTargetFailsWithoutRetrying() {
        RotationTargets targets = targets(Map.of("payments-db", target("db.internal", "verify-full", "prefer")));
        for (Map<String, Object> parameters : java.util.List.<Map<String, Object>>of(
                Map.of("jdbc_url", "jdbc:postgresql://attacker.example/db"), Map.of("target", "removed"), Map.of())) {
            assertThatThrownBy(() -> targets.forRun(parameters)).isInstanceOfSatisfying(StepFailure.class, failure -> {
                assertThat(failure.code()).isEqualTo(StepCode.TARGET_NOT_DECLARED);
                assertThat(failure.retryable()).isFalse();
            });
        }
    }

    static RotationTargets targets(Map<String, RotationConfig.Target> declared) {
        return new RotationTargets(config(declared));
    }

    static RotationConfig.Target target(String host, String sslMode, String channelBinding) {
        return target(host, 5432, sslMode, channelBinding, Optional.empty());
    }

    static RotationConfig.Target target(String host, int port, String sslMode, String channelBinding, Optional<Path> rootCert) {
        return new RotationConfig.Target() {
            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public String database() {
                return "payments";
            }

            @Override
            public String sslMode() {
                return sslMode;
            }

            @Override
            public Optional<Path> sslRootCert() {
                return rootCert;
            }

            @Override
            public String channelBinding() {
                return channelBinding;
            }
        };
    }

    static RotationConfig config(Map<String, RotationConfig.Target> declared) {
        return new RotationConfig() {
            @Override
            public String pollInterval() {
                return "off";
            }

            @Override
            public Duration claimLease() {
                return Duration.ofSeconds(90);
            }

            @Override
            public Duration stepTimeout() {
                return Duration.ofSeconds(30);
            }

            @Override
            public int maxAttempts() {
                return 6;
            }

            @Override
            public Duration backoffBase() {
                return Duration.ofSeconds(2);
            }

            @Override
            public Duration backoffMax() {
                return Duration.ofMinutes(5);
            }

            @Override
            public Duration stuckAfter() {
                return Duration.ofMinutes(30);
            }

            @Override
            public Duration runBudget() {
                return Duration.ofMinutes(10);
            }

            @Override
            public Optional<String> replica() {
                return Optional.empty();
            }

            @Override
            public Map<String, Target> targets() {
                return declared;
            }
        };
    }
}
