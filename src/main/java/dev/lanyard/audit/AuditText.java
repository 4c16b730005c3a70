package dev.lanyard.audit;

/**
 * Makes any text safe to store in an audit field. PostgreSQL's text type cannot hold a NUL, and the canonical form
 * cannot encode an unpaired surrogate: either would make the event, and so the access it records, impossible to
 * write. Such characters (every control character, so a log line cannot be forged either) are replaced by
 * {@code \\uXXXX}; overlong values are cut to {@value #MAX_LENGTH} characters, marked with a trailing {@code …}.
 * Lanyard's edges refuse such input before it gets here; this is the last line, and leaves ordinary text as it is.
 */
final class AuditText {

    static final int MAX_LENGTH = 2048;

    private AuditText() {}

    static String clean(String text) {
        if (text == null || (text.length() <= MAX_LENGTH && isPlain(text))) {
            return text;
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_LENGTH) + 16);
        for (int i = 0; i < text.length() && out.length() < MAX_LENGTH; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (out.length() >= MAX_LENGTH) {
            out.setLength(MAX_LENGTH - 1);
            out.append('…');
        }
        return out.toString();
    }

    private static boolean isPlain(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            }
        }
        return true;
    }
}
