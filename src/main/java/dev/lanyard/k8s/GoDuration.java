package dev.lanyard.k8s;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's duration syntax ({@code 1h30m}, {@code 90s}, {@code 1.5h}), which the CRD's refreshInterval uses. */
final class GoDuration {

    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ns|us|ms|s|m|h)");

    private GoDuration() {}

    static Duration parse(String text) {
        Matcher part = PART.matcher(text);
        double nanos = 0;
        int end = 0;
        while (part.find()) {
            if (part.start() != end) {
                break;
            }
            end = part.end();
            double amount = Double.parseDouble(part.group(1));
            nanos += amount * switch (part.group(2)) {
                case "ns" -> 1d;
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
        }
        if (end == 0 || end != text.length()) {
            throw new IllegalArgumentException("not a Go duration: " + text);
        }
        return Duration.ofNanos((long) nanos);
    }
}
