package dev.lanyard.rotation.postgres.alternating;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lanyard.rotation.protocol.InvalidRotationException;
import org.junit.jupiter.api.Test;

class AlternateUsernameTest {

    @Test
    void theUserAndItsCloneAlternate() {
        assertThat(AlternatingUsersRotation.alternate("billing")).isEqualTo("billing_clone");
        assertThat(AlternatingUsersRotation.alternate("billing_clone")).isEqualTo("billing");
    }

    @Test
    void aCloneNameLongerThanPostgresAllowsIsRefused() {
        String longest = "u".repeat(57);
        assertThat(AlternatingUsersRotation.alternate(longest)).hasSize(63);

        assertThatThrownBy(() -> AlternatingUsersRotation.alternate(longest + "x"))
                .isInstanceOf(InvalidRotationException.class)
                .hasMessage("Unable to clone user, username length with _clone appended would exceed 63 characters");
    }
}
