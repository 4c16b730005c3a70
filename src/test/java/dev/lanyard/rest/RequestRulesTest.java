package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.secret.SecretPath;
import dev.lanyard.secret.Stage;
import dev.lanyard.secret.VersionSelector;
import jakarta.validation.Validation;
import jakarta.validation.Validator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OpenAPI document states each rule a request must meet (RequestRules); here each stated pattern is held against
 * the check the service runs, over the same values: the boundaries, and thousands of random strings of the characters
 * that matter (each alphabet holds the rule's own characters, its near misses, what the edge refuses and non-ASCII).
 * A pattern is read as JSON Schema reads it: found anywhere in the value (so each must be anchored to mean the whole).
 */
class RequestRulesTest {

    private static final String ALPHABET = "aZ09_.-/@:=+~ %;\\#?\t\u00e9\u200b\u00a0\u3000";

    @Test
    void backendNamesInThePath() {
        agree(RequestRules.BACKEND_SEGMENT, value -> sentAsItIs(value)
                && EdgeScreening.isCanonical("/v1/secrets/" + value + "/x") && accepts(() -> Identifiers.secret(value, "x")),
                List.of("openbao", ".", "..", "...", "a.b", "x".repeat(64), "x".repeat(65), "bad!name", "a:b", ""));
    }

    @Test
    void secretPathsInThePath() {
        agree(RequestRules.PATH_SEGMENT, value -> sentAsItIs(value)
                && EdgeScreening.isCanonical("/v1/secrets/b/" + value) && accepts(() -> SecretPath.of(value)),
                List.of("config", ".", "..", "...", "x".repeat(512), "x".repeat(513), "a~b", ""));
    }

    @Test
    void versionStageAndPropertyQueries() {
        agree(RequestRules.VERSION, value -> value.isEmpty() || accepts(() -> VersionSelector.id(value)),
                List.of("", "1", "a1b2c3d4-5678-90ab-cdef-1234567890ab", "x".repeat(64), "x".repeat(65)));
        agree(RequestRules.STAGE, value -> value.isEmpty() || accepts(() -> Stage.of(value)),
                List.of("", "current", "pending", "previous", "Current", "PENDING", "pReViOuS", "currentx", "AWSCURRENT",
                        "blue", "x".repeat(64), "x".repeat(65)));
        agree(RequestRules.PROPERTY, value -> value.isEmpty() || value.matches(SecretResource.PROPERTY_RULE),
                List.of("", "greeting", "x".repeat(128), "x".repeat(129)));
    }

    @Test
    void tokenAndRotationIds() {
        agree(RequestRules.TOKEN_ID, value -> value.matches(TokenResource.ID), List.of("0123456789abcdef", "0123456789ABCDEF", ""));
        agree(RequestRules.ROTATION_ID, value -> value.matches(RotationResource.ID),
                List.of("0b6f5b1e-8c1d-4c44-9f2a-3d1f0c2b7a10", "0B6F5B1E-8C1D-4C44-9F2A-3D1F0C2B7A10", "0"));
    }

    @Test
    void auditFilters() {
        agree(RequestRules.FILTER, value -> accepts(() -> Identifiers.filter("f", value)),
                List.of("", "token:app", "openbao/secret/**", " ", "x".repeat(512), "x".repeat(513), "\u007f", "é"));
        agree(RequestRules.BACKEND_FILTER, value -> accepts(() -> Identifiers.backendFilter("backend", value)),
                List.of("", "openbao", "x".repeat(65)));
        agree(RequestRules.HOLDINGS_PATH, Identifiers.MAX_FILTER_LENGTH, value -> accepts(() -> AuditResource.holdingsTarget(value)),
                List.of("openbao/secret/x", "openbao/", "/x", "openbao", "", "bad!/x", "o/" + "x".repeat(510), "o/" + "x".repeat(511)));
    }

    @Test
    void secretsAScheduleNames() {
        agree(RequestRules.SECRET_REFERENCE, value -> accepts(() -> RotationResource.secret(value)),
                List.of("openbao/secret/x", "aws/prod/db", "openbao/./x", "openbao/x/..", "openbao/x//y", "openbao/", "/x",
                        "o/" + "x".repeat(512), "o/" + "x".repeat(513), "o/a:b@c=d+e", "bad!/x"));
    }

    /** Bean Validation's {@code @NotBlank} is {@link String#isBlank}: its white space, character by character. */
    @Test
    void notBlankMeansWhatStringIsBlankMeans() {
        Pattern notBlank = Pattern.compile(RequestRules.NOT_BLANK);
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            if (Character.isSurrogate((char) c)) {
                continue;
            }
            String one = String.valueOf((char) c);
            assertThat(notBlank.matcher(one).find()).as("U+%04X", c).isEqualTo(!one.isBlank());
        }
    }

    /** Lengths count characters, as JSON Schema's maxLength does, not UTF-16 units. */
    @Test
    void bodyLengthsCountCharacters() {
        Validator validator = Validation.byDefaultProvider().configure()
                .messageInterpolator(new ParameterMessageInterpolator()).buildValidatorFactory().getValidator();
        String face = "\uD83D\uDE00";
        assertThat(validator.validate(new LeaseRequest(face.repeat(LeaseRequest.MAX_LEASE_ID), null))).isEmpty();
        assertThat(validator.validate(new LeaseRequest(face.repeat(LeaseRequest.MAX_LEASE_ID + 1), null))).isNotEmpty();
        assertThat(validator.validate(new LeaseRequest("\u3000", null))).as("blank").isNotEmpty();
        assertThat(validator.validate(new LeaseRequest("\u00a0", null))).as("a no-break space is not blank").isEmpty();
        assertThat(validator.validate(new WriteRequest(Map.of(face.repeat(WriteRequest.MAX_NAME), "v")))).isEmpty();
        assertThat(validator.validate(new WriteRequest(Map.of(face.repeat(WriteRequest.MAX_NAME + 1), "v")))).isNotEmpty();
    }

    /** OpenAPI's {@code format: date-time} is RFC 3339: what it admits is read, and nothing else. */
    @ParameterizedTest
    @ValueSource(strings = {"2026-11-23T10:00:00Z", "2026-11-23t10:00:00z", "2026-11-23T11:00:00.5+01:00",
            "2026-11-23T10:00:00.123456789123Z", "2024-02-29T00:00:00Z", "2016-12-31T23:59:60Z", "2017-01-01T00:59:60+01:00",
            "0000-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "2026-01-01T00:00:00-00:00"})
    void rfc3339DateTimesAreRead(String text) {
        assertThat(Identifiers.instant("from", text)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "2026-02-30T00:00:00Z", "2026-01-01T10:00:60Z", "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+00:60", "2026-01-01T00:00:00+0100", "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "10000-01-01T00:00:00Z", "+1000000000-01-01T00:00:00Z",
            "-999999999-01-01T00:00:00Z", "2026-1-01T00:00:00Z", "\uff12\uff10\uff12\uff16-01-01T00:00:00Z"})
    void anythingElseIsRefused(String text) {
        assertThat(accepts(() -> Identifiers.instant("from", text))).as(text).isFalse();
    }

    @Test
    void aLeapSecondIsTheSecondBeforeIt() {
        assertThat(Identifiers.instant("from", "2016-12-31T23:59:60.5Z")).contains(Instant.parse("2016-12-31T23:59:59.5Z"));
        assertThat(Identifiers.instant("from", "2026-11-23T11:00:00+01:00")).contains(Instant.parse("2026-11-23T10:00:00Z"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.0", "+5", "\uff15", "99999999999999999999", "0x10", " 5"})
    void wholeNumbersAreWrittenAsJsonIntegers(String text) {
        assertThat(accepts(() -> Identifiers.number("limit", text))).as(text).isFalse();
    }

    @Test
    void wholeNumbersInTheirRangeAreRead() {
        assertThat(Identifiers.number("after", "-5")).contains(-5L);
        assertThat(Identifiers.number("after", String.valueOf(Long.MAX_VALUE))).contains(Long.MAX_VALUE);
        assertThat(Identifiers.number("after", null)).isEmpty();
        assertThat(Identifiers.number("after", "")).as("empty is absent, as the REST layer reads ?after=").isEmpty();
        assertThat(Identifiers.instant("to", "")).isEmpty();
    }

    /** The client side of the wire: OpenAPI's simple style sends these as they are and percent-encodes the rest. */
    private static boolean sentAsItIs(String value) {
        return value.chars().allMatch(c -> c < 0x80 && (Character.isLetterOrDigit(c) || "-._~".indexOf(c) >= 0));
    }

    private static boolean accepts(Runnable check) {
        try {
            check.run();
            return true;
        } catch (RuntimeException refused) {
            return false;
        }
    }

    private static void agree(String documented, Predicate<String> service, List<String> boundaries) {
        agree(documented, Integer.MAX_VALUE, service, boundaries);
    }

    /** The document's pattern and its {@code maxLength} (counted in code points, as JSON Schema counts) together. */
    private static void agree(String documented, int maxLength, Predicate<String> service, List<String> boundaries) {
        assertThat(documented).startsWith("^").endsWith("$");
        Pattern pattern = Pattern.compile(documented);
        List<String> values = new ArrayList<>(boundaries);
        Random random = new Random(20261208);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(i % 10 == 0 ? 600 : 12);
            for (int j = 0; j < length; j++) {
                value.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            values.add(value.toString());
        }
        for (String value : values) {
            boolean documentedValid = pattern.matcher(value).find() && value.codePointCount(0, value.length()) <= maxLength;
            assertThat(documentedValid).as("the document on \"%s\"", value).isEqualTo(service.test(value));
        }
    }
}
