package dev.lanyard.rotation;

import dev.lanyard.access.Refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PasswordPolicyTest {

    private final SecureRandom random = new SecureRandom();

    @Test
    void everyValueHasTheLengthOneOfEachClassAndNoExcludedCharacter() {
        PasswordPolicy policy = PasswordPolicy.from(Map.of("length", 20, "classes", List.of("upper", "digit", "symbol"),
                "exclude", "'\"\\%0O"), 32);
        for (int i = 0; i < 500; i++) {
            String value = new String(policy.generate(random));
            assertThat(value).hasSize(20).containsPattern("[A-Z]").containsPattern("[0-9]").doesNotContainPattern("[a-z]")
                    .doesNotContain("'", "\"", "\\", "%", "0", "O");
            assertThat(policy.admits(value)).isTrue();
        }
        assertThat(policy.admits("ABCDEFGHIJKLMNOPQRST")).as("no digit, no symbol").isFalse();
    }

    @Test
    void unusablePoliciesAreRefused() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(Map.of("length", 8), Map.of("length", "32"),
                Map.of("classes", List.of("emoji")), Map.of("classes", List.of()),
                Map.of("classes", List.of("digit"), "exclude", "0123456789"))) {
            assertThatThrownBy(() -> PasswordPolicy.from(bad, 32)).as(bad.toString())
                    .isInstanceOfSatisfying(InvalidRotationException.class,
                            e -> assertThat(e.refusal()).isEqualTo(Refusal.INVALID_STRATEGY));
        }
    }
}
