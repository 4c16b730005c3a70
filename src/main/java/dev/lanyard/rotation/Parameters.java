package dev.lanyard.rotation;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reading a schedule's strategy parameters, refusing what does not fit with {@code INVALID_STRATEGY}. */
final class Parameters {

    private Parameters() {}

    static void only(Map<String, Object> parameters, Set<String> known) {
        for (String name : parameters.keySet()) {
            if (!known.contains(name)) {
                throw InvalidRotationException.invalidStrategy("unknown parameter '" + printable(name) + "'; known: "
                        + known.stream().sorted().toList());
            }
        }
    }

    static String text(Map<String, Object> parameters, String name, String fallback) {
        Object value = parameters.get(name);
        if (value == null) {
            if (fallback == null) {
                throw InvalidRotationException.invalidStrategy("parameter '" + name + "' is required");
            }
            return fallback;
        }
        if (!(value instanceof String text)) {
            throw InvalidRotationException.invalidStrategy("parameter '" + name + "' is text");
        }
        return text;
    }

    static int number(Map<String, Object> parameters, String name, int fallback, int min, int max) {
        Object value = parameters.get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Integer n) || n < min || n > max) {
            throw InvalidRotationException.invalidStrategy("parameter '" + name + "' is a whole number from " + min + " to " + max);
        }
        return n;
    }

    static List<String> texts(Map<String, Object> parameters, String name, List<String> fallback) {
        Object value = parameters.get(name);
        if (value == null) {
            if (fallback == null) {
                throw InvalidRotationException.invalidStrategy("parameter '" + name + "' is required");
            }
            return fallback;
        }
        if (!(value instanceof List<?> list) || !list.stream().allMatch(String.class::isInstance)) {
            throw InvalidRotationException.invalidStrategy("parameter '" + name + "' is a list of text");
        }
        return list.stream().map(String.class::cast).toList();
    }

    private static String printable(String name) {
        String cleaned = name.replaceAll("[^A-Za-z0-9_.-]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) : cleaned;
    }
}
