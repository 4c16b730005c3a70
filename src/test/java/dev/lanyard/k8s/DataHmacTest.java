package dev.lanyard.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DataHmacTest {

    private static final byte[] KEY = key(1);

    @Test
    void theSameDataInAnyOrderGivesTheSameHmacAndAnyChangeAnother() {
        DataHmac hmac = new DataHmac(KEY);
        Map<String, byte[]> forward = new LinkedHashMap<>();
        forward.put("a", bytes("1"));
        forward.put("b", bytes("2"));
        Map<String, byte[]> backward = new LinkedHashMap<>();
        backward.put("b", bytes("2"));
        backward.put("a", bytes("1"));

        assertThat(hmac.of(forward)).isEqualTo(hmac.of(backward)).matches("[A-Za-z0-9_-]{43}");
        assertThat(hmac.of(Map.of("a", bytes("1"), "b", bytes("3")))).isNotEqualTo(hmac.of(forward));
        assertThat(hmac.of(Map.of("a", bytes("1")))).isNotEqualTo(hmac.of(forward));
    }

    @Test
    void keysAndValuesCannotBeShiftedIntoEachOther() {
        DataHmac hmac = new DataHmac(KEY);
        assertThat(hmac.of(Map.of("ab", bytes("c")))).isNotEqualTo(hmac.of(Map.of("a", bytes("bc"))));
    }

    @Test
    void itIsKeyedSoAPlainHashOfAGuessDoesNotMatch() throws Exception {
        Map<String, byte[]> data = Map.of("password", bytes("hunter2"));
        String withOneKey = new DataHmac(KEY).of(data);
        assertThat(new DataHmac(key(2)).of(data)).isNotEqualTo(withOneKey);
        String plain = Base64.getUrlEncoder().withoutPadding().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(bytes("passwordhunter2")));
        assertThat(withOneKey).isNotEqualTo(plain);
        assertThat(new DataHmac(KEY).toString()).doesNotContain(Base64.getEncoder().encodeToString(KEY));
    }

    @Test
    void aShortKeyIsRefused() {
        assertThatThrownBy(() -> new DataHmac(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] key(int fill) {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) fill);
        return key;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
