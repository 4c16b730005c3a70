package dev.lanyard.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiTokensTest {

    private static final String SECRET_43 = "A".repeat(20) + "b".repeat(20) + "0_-";
    private static final String VALID = "lyt_0123456789abcdef_" + SECRET_43;

    @Test
    void generatedTokensHaveTheDocumentedShapeAndParseBack() {
        SecureRandom random = new SecureRandom();
        String token = ApiTokens.generate(random);

        assertThat(token).matches("lyt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
        ApiTokens.Parsed parsed = ApiTokens.parse(token).orElseThrow();
        assertThat(parsed.id()).isEqualTo(token.substring(4, 20));
        assertThat(parsed.secret()).isEqualTo(token.substring(21));
    }

    @Test
    void generatedTokensDiffer() {
        SecureRandom random = new SecureRandom();
        Set<String> ids = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            ApiTokens.Parsed parsed = ApiTokens.parse(ApiTokens.generate(random)).orElseThrow();
            ids.add(parsed.id());
            secrets.add(parsed.secret());
        }
        assertThat(ids).hasSize(200);
        assertThat(secrets).hasSize(200);
    }

    @Test
    void parseSplitsIdAndSecret() {
        ApiTokens.Parsed parsed = ApiTokens.parse(VALID).orElseThrow();
        assertThat(parsed.id()).isEqualTo("0123456789abcdef");
        assertThat(parsed.secret()).isEqualTo(SECRET_43);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "lyt_",
            "lyt_0123456789abcdef",
            "lyt_0123456789abcdef_",
            "LYT_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",   // prefix is case-sensitive
            "xyz_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",
            "lyt_0123456789ABCDEF_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",   // id is lower-case hex
            "lyt_0123456789abcdeg_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",
            "lyt_0123456789abcde_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",    // 15-char id
            "lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_",    // 42-char secret
            "lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-A",  // 44-char secret
            "lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_=",   // padding / non-url-safe
            "lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0+/",
            " lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-",
            "lyt_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbb0_-\n",
    })
    void parseRejectsAnythingElse(String token) {
        assertThat(ApiTokens.parse(token)).isEmpty();
    }

    @Test
    void hashIsSha256OfTheSecret() throws Exception {
        assertThat(HexFormat.of().formatHex(ApiTokens.hash("abc")))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(ApiTokens.hash(SECRET_43))
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(SECRET_43.getBytes(StandardCharsets.US_ASCII)))
                .hasSize(32);
    }

    @Test
    void matchesOnlyTheSecretWhoseHashIsStored() {
        byte[] stored = ApiTokens.hash(SECRET_43);

        assertThat(ApiTokens.matches(SECRET_43, stored)).isTrue();
        assertThat(ApiTokens.matches(SECRET_43.substring(1) + "A", stored)).isFalse();
        assertThat(ApiTokens.matches(SECRET_43.toLowerCase(), stored)).isFalse();
        assertThat(ApiTokens.matches(SECRET_43, new byte[32])).isFalse();
        assertThat(ApiTokens.matches(SECRET_43, new byte[0])).isFalse();
        assertThat(ApiTokens.matches(SECRET_43, java.util.Arrays.copyOf(stored, 31))).isFalse();
    }
}
