package dev.lanyard.rotation.protocol;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How new passwords are generated, from the environment variables AWS's rotation templates read, with their
 * defaults: {@code EXCLUDE_CHARACTERS}, {@code PASSWORD_LENGTH} (32), {@code EXCLUDE_NUMBERS},
 * {@code EXCLUDE_PUNCTUATION}, {@code EXCLUDE_UPPERCASE}, {@code EXCLUDE_LOWERCASE} (false) and
 * {@code REQUIRE_EACH_INCLUDED_TYPE} (true). The password itself comes from Secrets Manager's GetRandomPassword,
 * as in the templates.
 */
public record PasswordPolicy(
        String excludeCharacters,
        int length,
        boolean excludeNumbers,
        boolean excludePunctuation,
        boolean excludeUppercase,
        boolean excludeLowercase,
        boolean requireEachIncludedType) {

    /** The default of AWS's database templates: characters that break connection strings and shells. */
    public static final String DATABASE_EXCLUDED_CHARACTERS = ":/@\"'\\";
    /** The default of AWS's generic rotation template. */
    public static final String GENERIC_EXCLUDED_CHARACTERS = "/@\"'\\";

    private static final Set<String> TRUE_WORDS = Set.of("true", "1", "y", "yes");

    public PasswordPolicy {
        if (length < 1 || length > 4096) {
            throw new IllegalArgumentException("PASSWORD_LENGTH must be between 1 and 4096, got " + length);
        }
    }

    public static PasswordPolicy fromEnvironment(Map<String, String> environment, String defaultExcludedCharacters) {
        return new PasswordPolicy(
                environment.getOrDefault("EXCLUDE_CHARACTERS", defaultExcludedCharacters),
                parseLength(environment.get("PASSWORD_LENGTH")),
                flag(environment, "EXCLUDE_NUMBERS", false),
                flag(environment, "EXCLUDE_PUNCTUATION", false),
                flag(environment, "EXCLUDE_UPPERCASE", false),
                flag(environment, "EXCLUDE_LOWERCASE", false),
                flag(environment, "REQUIRE_EACH_INCLUDED_TYPE", true));
    }

    private static int parseLength(String value) {
        if (value == null) {
            return 32;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PASSWORD_LENGTH must be a whole number, got '" + value + "'");
        }
    }

    // The templates' rule: true, 1, y or yes in any case is true; anything else is false.
    private static boolean flag(Map<String, String> environment, String name, boolean defaultValue) {
        String value = environment.get(name);
        return value == null ? defaultValue : TRUE_WORDS.contains(value.strip().toLowerCase(Locale.ROOT));
    }
}
