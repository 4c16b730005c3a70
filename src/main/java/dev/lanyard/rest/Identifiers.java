package dev.lanyard.rest;

import dev.lanyard.secret.InvalidSecretPathException;
import dev.lanyard.secret.SecretRef;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identifiers from the caller that reach an audit field or a database query are checked here, at the edge,
 * before anything stores or compares them: a value that could not be recorded faithfully is refused, not stored.
 * The OpenAPI document states the same rules ({@link RequestRules}, from these constants).
 */
final class Identifiers {

    static final String BACKEND_RULE = "[A-Za-z0-9_.-]{1,64}";
    static final Pattern BACKEND = Pattern.compile(BACKEND_RULE);
    static final int MAX_FILTER_LENGTH = 512;
    /** A free-text filter: printable ASCII, which is all a recorded subject, path, operation or id is made of. */
    static final String FILTER_RULE = "[\\x20-\\x7e]{0," + MAX_FILTER_LENGTH + "}";
    private static final Pattern FILTER = Pattern.compile(FILTER_RULE);
    /** RFC 3339 date-time (OpenAPI's {@code format: date-time}); what each field may hold is checked when it is read. */
    private static final Pattern DATE_TIME = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})[Tt](\\d{2}):(\\d{2}):(\\d{2})"
            + "(?:\\.(\\d+))?(?:[Zz]|([+-])(\\d{2}):(\\d{2}))");

    private Identifiers() {}

    /** A backend named in the URL path; a bad name is a bad path (400 {@code INVALID_PATH}). */
    static SecretRef secret(String backend, String path) {
        if (backend == null || !BACKEND.matcher(backend).matches()) {
            throw new InvalidSecretPathException("a backend name is 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        return SecretRef.of(backend, path);
    }

    /** A backend named in a query parameter (400 {@code INVALID_QUERY}). */
    static Optional<String> backendFilter(String name, String value) {
        Optional<String> given = filter(name, value);
        if (given.isPresent() && !BACKEND.matcher(given.get()).matches()) {
            throw new InvalidQueryException(name + " must be a backend name: 1 to 64 characters of [A-Za-z0-9_.-]");
        }
        return given;
    }

    /** A free-text filter: printable ASCII, at most {@value #MAX_FILTER_LENGTH} characters; empty means absent. */
    static Optional<String> filter(String name, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (!FILTER.matcher(value).matches()) {
            throw new InvalidQueryException(name + " must be at most " + MAX_FILTER_LENGTH
                    + " printable ASCII characters");
        }
        return Optional.of(value);
    }

    /** A whole number; empty means absent; anything else is refused (400 {@code INVALID_QUERY}). */
    static Optional<Long> number(String name, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (!value.matches("-?[0-9]{1,19}")) {
            throw new InvalidQueryException(name + " must be a whole number");
        }
        try {
            return Optional.of(Long.parseLong(value));
        } catch (NumberFormatException e) {
            throw new InvalidQueryException(name + " must be a whole number");
        }
    }

    /**
     * An RFC 3339 date-time ({@code 2026-11-23T10:00:00Z}, {@code 2026-11-23T11:00:00.5+01:00}); empty means absent;
     * anything else is refused (400 {@code INVALID_QUERY}). Every instant this can name (years 0000
     * to 9999, offsets up to 23:59) is one the database can compare. A leap second ({@code 23:59:60} UTC) is read as
     * the second before it.
     */
    static Optional<Instant> instant(String name, String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        Matcher parts = DATE_TIME.matcher(value);
        try {
            if (!parts.matches()) {
                throw new DateTimeException("not RFC 3339");
            }
            int second = Integer.parseInt(parts.group(6));
            String fraction = parts.group(7) == null ? "0" : parts.group(7);
            int nanos = Integer.parseInt((fraction.length() > 9 ? fraction.substring(0, 9) : fraction + "0".repeat(9 - fraction.length())));
            LocalDateTime local = LocalDateTime.of(Integer.parseInt(parts.group(1)), Integer.parseInt(parts.group(2)),
                    Integer.parseInt(parts.group(3)), Integer.parseInt(parts.group(4)), Integer.parseInt(parts.group(5)),
                    Math.min(second, 59), nanos);
            int offset = 0;
            if (parts.group(8) != null) {
                int hours = Integer.parseInt(parts.group(9));
                int minutes = Integer.parseInt(parts.group(10));
                if (hours > 23 || minutes > 59) {
                    throw new DateTimeException("offset out of range");
                }
                offset = (parts.group(8).equals("-") ? -1 : 1) * (hours * 3600 + minutes * 60);
            }
            Instant instant = local.toInstant(ZoneOffset.UTC).minusSeconds(offset);
            LocalTime utc = LocalTime.ofInstant(instant, ZoneOffset.UTC);
            if (second > 60 || (second == 60 && (utc.getHour() != 23 || utc.getMinute() != 59))) {
                throw new DateTimeException("a leap second is the last second of a UTC day");
            }
            return Optional.of(instant);
        } catch (DateTimeException | NumberFormatException e) {
            throw new InvalidQueryException(name + " must be an RFC 3339 date-time such as 2026-11-23T10:00:00Z");
        }
    }
}
