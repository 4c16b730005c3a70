package dev.lanyard.backend.aws;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.sts.model.Tag;

/**
 * The STS session a credential is issued in, named after the caller it is for, so that CloudTrail shows who used it:
 * the session name is the caller's subject in STS's alphabet, and session tags carry the subject (and a
 * ServiceAccount's namespace and name) for policies that match on {@code aws:PrincipalTag}.
 */
final class StsSessions {

    /** What STS allows in a session name. */
    private static final Pattern NOT_IN_NAME = Pattern.compile("[^A-Za-z0-9_+=,.@-]");
    private static final int MAX_NAME = 64;
    /** What STS allows in a tag value (letters, digits, spaces and {@code _.:/=+-@}). */
    private static final Pattern NOT_IN_TAG = Pattern.compile("[^\\p{L}\\p{N} _.:/=+@-]");
    private static final int MAX_TAG_VALUE = 256;

    private StsSessions() {}

    /**
     * {@code subject} with every character STS refuses replaced by {@code -}; a subject too long to fit keeps its
     * start and ends with a hash of the whole, so two long subjects never share a session name.
     */
    static String name(String subject) {
        String name = NOT_IN_NAME.matcher(subject).replaceAll("-");
        if (name.length() < 2) {
            name = (name + "--");
        }
        if (name.length() <= MAX_NAME) {
            return name;
        }
        String hash = sha256(subject).substring(0, 12);
        return name.substring(0, MAX_NAME - hash.length() - 1) + "-" + hash;
    }

    /** The session tags for {@code subject}: {@code lanyard:caller}, and for {@code sa:<namespace>/<name>} both parts. */
    static List<Tag> tags(String subject) {
        List<Tag> tags = new ArrayList<>();
        tags.add(tag("lanyard:caller", subject));
        if (subject.startsWith("sa:") && subject.indexOf('/') > 3) {
            int slash = subject.indexOf('/');
            tags.add(tag("lanyard:namespace", subject.substring(3, slash)));
            tags.add(tag("lanyard:service-account", subject.substring(slash + 1)));
        }
        return tags;
    }

    private static Tag tag(String key, String value) {
        String clean = NOT_IN_TAG.matcher(value).replaceAll("-");
        return Tag.builder().key(key).value(clean.length() > MAX_TAG_VALUE ? clean.substring(0, MAX_TAG_VALUE) : clean).build();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
