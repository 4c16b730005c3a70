package dev.lanyard.policy;

import java.util.regex.Pattern;

/**
 * A path pattern in a policy rule. {@code *} matches within one path segment, {@code **} matches any run of
 * characters including slashes (so {@code vault/**} covers everything below {@code vault/}, while
 * {@code vault/**}{@code /app} needs at least one segment in between); everything else is literal. {@code vault/database/creds/*} matches
 * {@code vault/database/creds/app} but not {@code vault/database/creds/app/x}.
 */
public final class PathGlob {

    private final String glob;
    private final Pattern pattern;

    private PathGlob(String glob, Pattern pattern) {
        this.glob = glob;
        this.pattern = pattern;
    }

    public static PathGlob compile(String glob) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                    regex.append(".*");
                    i += 2;
                    continue;
                }
                regex.append("[^/]*");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
            i++;
        }
        return new PathGlob(glob, Pattern.compile(regex.toString()));
    }

    /** The glob's first segment when it is literal (no wildcard): the namespace it names, or null. */
    public String namedNamespace() {
        int slash = glob.indexOf('/');
        String first = slash < 0 ? glob : glob.substring(0, slash);
        return first.isEmpty() || first.contains("*") ? null : first;
    }

    /** The glob up to its first wildcard: every path it matches starts with this. */
    public String literalStart() {
        int star = glob.indexOf('*');
        return star < 0 ? glob : glob.substring(0, star);
    }

    public boolean matches(String path) {
        return pattern.matcher(path).matches();
    }

    @Override
    public String toString() {
        return glob;
    }
}
