package dev.lanyard.rotation;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a generated password or API key looks like: its length, the character classes it draws from (at least one
 * character of each) and characters it must never contain (those a target's syntax chokes on). Drawn from
 * {@link SecureRandom}.
 */
record PasswordPolicy(int length, List<String> classes, String excluded) {

    static final Map<String, String> CLASSES = namedClasses();
    static final Set<String> PARAMETERS = Set.of("length", "classes", "exclude");

    private static Map<String, String> namedClasses() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put("lower", "abcdefghijklmnopqrstuvwxyz");
        all.put("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        all.put("digit", "0123456789");
        all.put("symbol", "!#$%&()*+,-./:;<=>?@[]^_{|}~");
        return Collections.unmodifiableMap(all);
    }

    static PasswordPolicy from(Map<String, Object> parameters, int defaultLength) {
        int length = Parameters.number(parameters, "length", defaultLength, 16, 256);
        List<String> classes = Parameters.texts(parameters, "classes", List.of("lower", "upper", "digit", "symbol"));
        String excluded = Parameters.text(parameters, "exclude", "");
        if (classes.isEmpty() || !CLASSES.keySet().containsAll(classes)) {
            throw InvalidRotationException.invalidStrategy("parameter 'classes' takes some of " + CLASSES.keySet());
        }
        PasswordPolicy policy = new PasswordPolicy(length, List.copyOf(classes), excluded);
        for (String name : classes) {
            if (policy.alphabet(name).isEmpty()) {
                throw InvalidRotationException.invalidStrategy("parameter 'exclude' leaves nothing of class " + name);
            }
        }
        if (classes.size() > length) {
            throw InvalidRotationException.invalidStrategy("the length cannot hold one character of each class");
        }
        return policy;
    }

    private String alphabet(String name) {
        StringBuilder kept = new StringBuilder();
        CLASSES.get(name).chars().filter(c -> excluded.indexOf(c) < 0).forEach(kept::appendCodePoint);
        return kept.toString();
    }

    /** A new value: one character of each class at random places, the rest from all classes together. */
    char[] generate(SecureRandom random) {
        String all = String.join("", classes.stream().map(this::alphabet).toList());
        List<Character> chars = new ArrayList<>(length);
        for (String name : classes) {
            String alphabet = alphabet(name);
            chars.add(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        while (chars.size() < length) {
            chars.add(all.charAt(random.nextInt(all.length())));
        }
        Collections.shuffle(chars, random);
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = chars.get(i);
        }
        return out;
    }

    /** Whether {@code value} could have come from this policy. */
    boolean admits(String value) {
        if (value.length() != length) {
            return false;
        }
        for (String name : classes) {
            String alphabet = alphabet(name);
            if (value.chars().noneMatch(c -> alphabet.indexOf(c) >= 0)) {
                return false;
            }
        }
        String all = String.join("", classes.stream().map(this::alphabet).toList());
        return value.chars().allMatch(c -> all.indexOf(c) >= 0);
    }
}
