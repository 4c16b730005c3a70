package dev.lanyard.rotation.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PasswordPolicyTest {

    @Test
    void withNoVariablesItHasTheTemplatesDefaults() {
        PasswordPolicy policy = PasswordPolicy.fromEnvironment(Map.of(), PasswordPolicy.DATABASE_EXCLUDED_CHARACTERS);

        assertThat(policy).isEqualTo(new PasswordPolicy(":/@\"'\\", 32, false, false, false, false, true));
    }

    @Test
    void flagsAreTrueOnlyForTheTemplatesWordsInAnyCase() {
        PasswordPolicy policy = PasswordPolicy.fromEnvironment(Map.of(
                "EXCLUDE_NUMBERS", "YES", "EXCLUDE_PUNCTUATION", "1", "EXCLUDE_UPPERCASE", "on",
                "EXCLUDE_LOWERCASE", "y", "REQUIRE_EACH_INCLUDED_TYPE", "no", "PASSWORD_LENGTH", " 64 ",
                "EXCLUDE_CHARACTERS", "ab"), PasswordPolicy.GENERIC_EXCLUDED_CHARACTERS);

        assertThat(policy).isEqualTo(new PasswordPolicy("ab", 64, true, true, false, true, false));
    }

    @Test
    void aLengthThatIsNotANumberIsAClearConfigurationError() {
        assertThatThrownBy(() -> PasswordPolicy.fromEnvironment(Map.of("PASSWORD_LENGTH", "long"), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("PASSWORD_LENGTH must be a whole number, got 'long'");
        assertThatThrownBy(() -> PasswordPolicy.fromEnvironment(Map.of("PASSWORD_LENGTH", "0"), ""))
                .hasMessage("PASSWORD_LENGTH must be between 1 and 4096, got 0");
    }
}
