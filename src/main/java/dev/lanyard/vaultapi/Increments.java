package dev.lanyard.vaultapi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.access.Refusal;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code increment} of a renewal as Vault's clients send it: whole seconds as a number (the Go client, the Java
 * driver), as text (Spring Vault sends {@code "3600"}) or a Go duration ({@code "1h"}, {@code "90m"}, {@code "1h30m"}).
 * Zero or none asks for the default.
 */
final class Increments {

    private static final Pattern UNIT = Pattern.compile("([0-9]+)(ms|s|m|h)");
    /** Longer than anything a lease or login token is granted: a larger number is a mistake, not a wish. */
    private static final Duration MOST = Duration.ofDays(365);

    private Increments() {}

    /** The increment asked for, empty for none; {@link VaultRefusal} when it cannot be read. */
    static Optional<Duration> of(JsonNode increment) {
        if (increment == null || increment.isNull() || increment.isMissingNode()) {
            return Optional.empty();
        }
        Duration asked;
        if (increment.isIntegralNumber() && increment.canConvertToLong()) {
            asked = Duration.ofSeconds(increment.asLong());
        } else if (increment.isTextual()) {
            asked = parse(increment.asText());
        } else {
            throw invalid();
        }
        if (asked.isNegative() || asked.compareTo(MOST) > 0) {
            throw invalid();
        }
        return asked.isZero() ? Optional.empty() : Optional.of(asked);
    }

    private static Duration parse(String text) {
        if (text.matches("[0-9]{1,12}")) {
            return Duration.ofSeconds(Long.parseLong(text));
        }
        if (text.isEmpty() || text.length() > 32) {
            throw invalid();
        }
        Matcher parts = UNIT.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (parts.find()) {
            if (parts.start() != end) {
                throw invalid();
            }
            long amount = Long.parseLong(parts.group(1));
            total = total.plus(switch (parts.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofHours(amount);
            });
            end = parts.end();
        }
        if (end != text.length()) {
            throw invalid();
        }
        return total;
    }

    private static VaultRefusal invalid() {
        return new VaultRefusal(Refusal.INVALID_REQUEST,
                "increment must be whole seconds (a number or text) or a duration such as 1h or 30m, at most a year");
    }
}
