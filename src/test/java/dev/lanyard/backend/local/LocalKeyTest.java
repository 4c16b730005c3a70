package dev.lanyard.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.junit.jupiter.api.Test;

class LocalKeyTest {

    private static final byte[] PLAINTEXT = "{\"password\":\"hunter2\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AD = "lanyard-local:v1:app/db:1".getBytes(StandardCharsets.UTF_8);

    @Test
    void generatesDistinct32ByteKeys() {
        String first = LocalKey.generate();
        String second = LocalKey.generate();
        assertThat(Base64.getDecoder().decode(first)).hasSize(32);
        assertThat(Base64.getDecoder().decode(second)).hasSize(32);
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void sealsAndOpens() throws InvalidCipherTextException {
        try (LocalKey key = LocalKey.decode(LocalKey.generate())) {
            byte[] sealed = key.seal(PLAINTEXT, AD);
            assertThat(sealed).hasSize(LocalKey.HEADER_LENGTH + PLAINTEXT.length + 16);
            assertThat(sealed[0]).isEqualTo(LocalKey.FORMAT_V1);
            assertThat(key.open(sealed, AD)).isEqualTo(PLAINTEXT);
        }
    }

    @Test
    void noncesDifferBetweenTwoEncryptionsOfTheSameValue() {
        try (LocalKey key = LocalKey.decode(LocalKey.generate())) {
            byte[] first = key.seal(PLAINTEXT, AD);
            byte[] second = key.seal(PLAINTEXT, AD);
            assertThat(Arrays.copyOfRange(first, 1, LocalKey.HEADER_LENGTH))
                    .isNotEqualTo(Arrays.copyOfRange(second, 1, LocalKey.HEADER_LENGTH));
            assertThat(first).isNotEqualTo(second);
        }
    }

    @Test
    void differentAssociatedDataOrKeyFailsToOpen() {
        String encoded = LocalKey.generate();
        try (LocalKey key = LocalKey.decode(encoded); LocalKey other = LocalKey.decode(LocalKey.generate())) {
            byte[] sealed = key.seal(PLAINTEXT, AD);
            assertThatThrownBy(() -> key.open(sealed, "lanyard-local:v1:app/db:2".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(InvalidCipherTextException.class);
            assertThatThrownBy(() -> other.open(sealed, AD)).isInstanceOf(InvalidCipherTextException.class)
                    .hasMessageNotContaining("hunter2");
        }
    }

    @Test
    void rejectsKeysOfTheWrongLengthWithoutQuotingThem() {
        for (int length : new int[] {0, 16, 24, 31, 33, 64}) {
            byte[] bytes = new byte[length];
            Arrays.fill(bytes, (byte) 0x5a);
            String encoded = Base64.getEncoder().encodeToString(bytes);
            assertThatThrownBy(() -> LocalKey.decode(encoded))
                    .as("%d bytes", length)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("32 bytes")
                    .satisfies(e -> {
                        if (!encoded.isEmpty()) {
                            assertThat(e.getMessage()).doesNotContain(encoded);
                        }
                    });
        }
    }

    @Test
    void rejectsNonBase64WithoutEchoingAnyOfIt() {
        String notBase64 = "sk~live~Q#not-base64-at-all";
        assertThatThrownBy(() -> LocalKey.decode(notBase64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the key is not valid base64")
                .hasNoCause();
    }

    @Test
    void toStringIsMaskedAndCloseZeroesTheKey() {
        String encoded = LocalKey.generate();
        LocalKey key = LocalKey.decode(encoded);
        assertThat(key.toString()).contains("masked").doesNotContain(encoded);
        key.close();
        assertThatThrownBy(() -> key.seal(PLAINTEXT, AD)).isInstanceOf(IllegalStateException.class);
    }
}
