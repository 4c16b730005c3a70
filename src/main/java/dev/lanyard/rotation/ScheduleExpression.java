package dev.lanyard.rotation;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When rotation windows open: {@code rate(<n> <minutes|hours|days>)}, counted from the previous window, or a
 * five-field Unix cron expression in UTC ({@code 0 3 * * 1}: Mondays at 03:00). Cron is parsed by cron-utils.
 */
final class ScheduleExpression {

    private static final Pattern RATE = Pattern.compile("rate\\((\\d{1,6}) (minute|minutes|hour|hours|day|days)\\)");
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final String text;
    private final Duration rate;
    private final ExecutionTime cron;

    private ScheduleExpression(String text, Duration rate, ExecutionTime cron) {
        this.text = text;
        this.rate = rate;
        this.cron = cron;
    }

    /** @throws InvalidRotationException {@code INVALID_SCHEDULE} with what is wrong */
    static ScheduleExpression parse(String text) {
        if (text == null || text.isBlank() || text.length() > 100) {
            throw InvalidRotationException.invalidSchedule("a schedule is rate(<n> minutes|hours|days) or a cron expression");
        }
        String trimmed = text.strip();
        Matcher rate = RATE.matcher(trimmed.toLowerCase(Locale.ROOT));
        if (rate.matches()) {
            long n = Long.parseLong(rate.group(1));
            Duration unit = switch (rate.group(2)) {
                case "minute", "minutes" -> Duration.ofMinutes(1);
                case "hour", "hours" -> Duration.ofHours(1);
                default -> Duration.ofDays(1);
            };
            if (n < 1) {
                throw InvalidRotationException.invalidSchedule("a rate is at least 1");
            }
            return new ScheduleExpression(trimmed, unit.multipliedBy(n), null);
        }
        if (trimmed.startsWith("rate(")) {
            throw InvalidRotationException.invalidSchedule("a rate is rate(<n> minutes|hours|days)");
        }
        try {
            Cron cron = CRON.parse(trimmed).validate();
            return new ScheduleExpression(trimmed, null, ExecutionTime.forCron(cron));
        } catch (IllegalArgumentException e) {
            // cron-utils explains in terms of its own parser; say what Lanyard accepts instead.
            throw InvalidRotationException.invalidSchedule("not a five-field cron expression (minute hour day-of-month month day-of-week)");
        }
    }

    /** When the first window after {@code after} opens; empty for a cron that never fires again. */
    Optional<Instant> next(Instant after) {
        if (rate != null) {
            return Optional.of(after.plus(rate));
        }
        return cron.nextExecution(ZonedDateTime.ofInstant(after, ZoneOffset.UTC)).map(ZonedDateTime::toInstant);
    }

    /** The shortest time between two windows, near {@code from}: a window longer than this would overlap the next. */
    Duration shortestInterval(Instant from) {
        if (rate != null) {
            return rate;
        }
        Duration shortest = null;
        Instant at = from;
        for (int i = 0; i < 8; i++) {
            Optional<Instant> first = next(at);
            Optional<Instant> second = first.flatMap(this::next);
            if (second.isEmpty()) {
                break;
            }
            Duration between = Duration.between(first.get(), second.get());
            shortest = shortest == null || between.compareTo(shortest) < 0 ? between : shortest;
            at = first.get();
        }
        return shortest == null ? Duration.ofDays(366) : shortest;
    }

    @Override
    public String toString() {
        return text;
    }
}
