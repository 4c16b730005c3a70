package dev.lanyard.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StageAndSelectorTest {

    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

    @Test
    void wellKnownStagesHaveOneSpelling() {
        assertThat(Stage.of("current")).isSameAs(Stage.CURRENT);
        assertThat(Stage.of("pending")).isSameAs(Stage.PENDING);
        assertThat(Stage.of("previous")).isSameAs(Stage.PREVIOUS);
        assertThat(Stage.of("blue").isWellKnown()).isFalse();
        assertThat(Stage.of("AWSCURRENT").label()).as("another backend's label is a custom stage here").isEqualTo("AWSCURRENT");
        assertThatThrownBy(() -> Stage.of("Current")).isInstanceOf(InvalidSecretPathException.class);
        assertThatThrownBy(() -> Stage.of("PENDING")).isInstanceOf(InvalidSecretPathException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "a/b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "semi;colon", "ünï"})
    void malformedStagesAndVersionIdsAreBadRequests(String text) {
        assertThatThrownBy(() -> Stage.of(text)).isInstanceOf(InvalidSecretPathException.class);
        assertThatThrownBy(() -> VersionSelector.id(text)).isInstanceOf(InvalidSecretPathException.class);
    }

    @Test
    void versionIdsAreOpaqueButBounded() {
        assertThat(VersionSelector.id("3")).isEqualTo(new VersionSelector.ById("3"));
        assertThat(VersionSelector.id("a1b2c3d4-5678-90ab-cdef-1234567890ab")).isInstanceOf(VersionSelector.ById.class);
        assertThat(VersionSelector.stage(Stage.CURRENT)).as("one way to say current").isSameAs(VersionSelector.current());
        assertThat(VersionSelector.stage(Stage.PENDING)).isEqualTo(new VersionSelector.ByStage(Stage.PENDING));
        assertThatThrownBy(() -> new VersionSelector.ByStage(Stage.CURRENT)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void leasesComeInThreeKinds() {
        Lease leased = Lease.leased("database/creds/app/abc", NOW, Duration.ofHours(1), true);
        assertThat(leased.id()).contains("database/creds/app/abc");
        assertThat(leased.toString()).doesNotContain("abc");

        Lease expiring = Lease.expiring(NOW, Duration.ofMinutes(15));
        assertThat(expiring.id()).isEmpty();
        assertThat(expiring.renewable()).isFalse();
        assertThat(expiring.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(15)));

        Lease staticValue = Lease.ofStaticValue(NOW);
        assertThat(staticValue.ttl()).isZero();
        assertThat(staticValue.id()).isEmpty();

        assertThatThrownBy(() -> new Lease(Optional.empty(), NOW, Duration.ofMinutes(1), true))
                .as("nothing to renew it by").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Lease(Optional.of(""), NOW, Duration.ofMinutes(1), false)).isInstanceOf(IllegalArgumentException.class);
    }
}
