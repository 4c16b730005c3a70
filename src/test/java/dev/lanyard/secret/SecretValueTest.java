package dev.lanyard.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SecretValueTest {

    private static SecretValue credentials() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("username", "app-user");
        fields.put("password", "hunter2-s3cret");
        return SecretValue.ofStrings(fields);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, byte[]> internalBytes(SecretValue value) throws ReflectiveOperationException {
        Field fields = SecretValue.class.getDeclaredField("fields");
        fields.setAccessible(true);
        return (Map<String, byte[]>) fields.get(value);
    }

    @Test
    void toStringNamesFieldsButNeverValues() {
        SecretValue value = credentials();

        assertThat(value.toString())
                .isEqualTo("SecretValue[username, password](masked)")
                .doesNotContain("hunter2-s3cret")
                .doesNotContain("app-user");
    }

    @Test
    void secretToStringDoesNotRevealTheValueOrLeaseId() {
        Secret secret = new Secret(SecretRef.of("vault", "database/creds/app"), credentials(), Optional.empty(),
                Lease.leased("database/creds/app/AbCdEf123", Instant.parse("2030-01-01T00:00:00Z"), Duration.ofHours(1), true));

        assertThat(secret.toString()).doesNotContain("hunter2-s3cret").doesNotContain("AbCdEf123").contains("(masked)");
    }

    @Test
    void fieldsReadBackWhileOpen() {
        SecretValue value = credentials();

        assertThat(value.field("password")).contains("hunter2-s3cret");
        assertThat(value.field("missing")).isEmpty();
        assertThat(value.fieldNames()).containsExactly("username", "password");
        assertThat(value.reveal()).containsExactly(Map.entry("username", "app-user"), Map.entry("password", "hunter2-s3cret"));
        assertThat(value.isClosed()).isFalse();
    }

    @Test
    void closeZeroesTheHeldBytes() throws Exception {
        SecretValue value = credentials();
        Map<String, byte[]> held = internalBytes(value);
        assertThat(held.get("password")).isEqualTo("hunter2-s3cret".getBytes(StandardCharsets.UTF_8));

        value.close();

        assertThat(held.values()).allSatisfy(bytes -> assertThat(bytes).isNotEmpty().containsOnly(0));
    }

    @Test
    void afterCloseValuesCanNoLongerBeRead() {
        SecretValue value = credentials();
        value.close();

        assertThat(value.isClosed()).isTrue();
        assertThatThrownBy(() -> value.field("password")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(value::reveal).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(value::copyBytes).isInstanceOf(IllegalStateException.class);
        // Names are not secret and stay available, e.g. for a log line about the closed value.
        assertThat(value.fieldNames()).containsExactly("username", "password");
        assertThat(value.toString()).doesNotContain("hunter2");
    }

    @Test
    void closeIsIdempotent() {
        SecretValue value = credentials();
        value.close();
        value.close();
        assertThat(value.isClosed()).isTrue();
    }

    @Test
    void copiesMadeBeforeCloseAreUnaffected() {
        SecretValue value = credentials();
        Map<String, byte[]> copy = value.copyBytes();
        Map<String, String> revealed = value.reveal();
        String field = value.field("password").orElseThrow();

        value.close();

        assertThat(copy.get("password")).isEqualTo("hunter2-s3cret".getBytes(StandardCharsets.UTF_8));
        assertThat(revealed).containsEntry("password", "hunter2-s3cret");
        assertThat(field).isEqualTo("hunter2-s3cret");
    }

    @Test
    void copyBytesHandsOutIndependentArrays() {
        SecretValue value = credentials();
        byte[] first = value.copyBytes().get("password");
        java.util.Arrays.fill(first, (byte) 'x');

        assertThat(value.field("password")).contains("hunter2-s3cret");
    }

    @Test
    void ofBytesCopiesItsInput() {
        byte[] source = "token-value".getBytes(StandardCharsets.UTF_8);
        SecretValue value = SecretValue.ofBytes(Map.of("token", source));

        java.util.Arrays.fill(source, (byte) 0);

        assertThat(value.field("token")).contains("token-value");
    }

    @Test
    void closingDoesNotZeroTheCallersSourceArray() {
        byte[] source = "token-value".getBytes(StandardCharsets.UTF_8);
        SecretValue value = SecretValue.ofBytes(Map.of("token", source));

        value.close();

        assertThat(new String(source, StandardCharsets.UTF_8)).isEqualTo("token-value");
    }

    @Test
    void ofStringsTurnsNonStringValuesIntoText() {
        SecretValue value = SecretValue.ofStrings(Map.of("port", 5432, "tls", true));
        assertThat(value.field("port")).contains("5432");
        assertThat(value.field("tls")).contains("true");
    }
}
