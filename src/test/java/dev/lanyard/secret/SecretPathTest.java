package dev.lanyard.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretPathTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "database/creds/app",
            "secret/payments/db",
            "kv",
            "a/b/c/d/e",
            "my_app-1.2/user@example.com/k=v+x:y",
            "a/.hidden",
            "a/...",
    })
    void acceptsCanonicalPaths(String value) {
        assertThat(SecretPath.of(value).value()).isEqualTo(value);
        assertThat(SecretPath.of(value)).hasToString(value);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "a//b",
            "/a",
            "a/",
            "/",
            "a/../b",
            "..",
            "a/..",
            "./a",
            ".",
            "a/./b",
            "a\\b",
            "a\\..\\b",
            "a%2Fb",
            "a%2e%2e/b",
            "a b",
            "a\u0000b",
            "a\nb",
            "a\rb",
            "a\tb",
            "a\u007fb",
            "a\u0085b",
            "caf\u00e9",
            "a/\u2024\u2024/b",
            "a?b",
            "a#b",
            "a;b",
    })
    void rejectsNonCanonicalPaths(String value) {
        assertThatThrownBy(() -> SecretPath.of(value)).isInstanceOf(InvalidSecretPathException.class);
    }

    @Test
    void rejectionMessagesDoNotEchoThePath() {
        assertThatThrownBy(() -> SecretPath.of("a%2Fsecret-name"))
                .isInstanceOf(InvalidSecretPathException.class)
                .message().doesNotContain("secret-name").doesNotContain("%2F");
        assertThatThrownBy(() -> SecretPath.of("x/../secret-name"))
                .message().doesNotContain("secret-name");
    }

    @Test
    void nullIsRejected() {
        assertThatThrownBy(() -> SecretPath.of(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void lengthLimitIs512() {
        String max = "a".repeat(512);
        assertThat(SecretPath.of(max).value()).hasSize(512);
        assertThatThrownBy(() -> SecretPath.of(max + "a")).isInstanceOf(InvalidSecretPathException.class);
    }

    @Test
    void mountAndRemainder() {
        SecretPath path = SecretPath.of("database/creds/app");
        assertThat(path.mount()).isEqualTo("database");
        assertThat(path.withinMount()).isEqualTo("creds/app");
        assertThat(SecretPath.of("kv").mount()).isEqualTo("kv");
        assertThat(SecretPath.of("kv").withinMount()).isEmpty();
    }

    @Test
    void secretRefStringIsBackendSlashPath() {
        assertThat(SecretRef.of("vault", "database/creds/app")).hasToString("vault/database/creds/app");
        assertThatThrownBy(() -> SecretRef.of("vault", "database/../app")).isInstanceOf(InvalidSecretPathException.class);
    }
}
