package dev.lanyard.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditTextTest {

    @Test
    void ordinaryTextIsLeftAsItIs() {
        String text = "token:ci openbao/secret/pay-ments/db ünïcödé 🔑";
        assertThat(AuditText.clean(text)).isSameAs(text);
        assertThat(AuditText.clean(null)).isNull();
    }

    @Test
    void controlCharactersAndUnpairedSurrogatesAreEscapedSoTheEventCanAlwaysBeStored() {
        assertThat(AuditText.clean("a\u0000b\nc\u007f\u0085")).isEqualTo("a\\u0000b\\u000ac\\u007f\\u0085");
        assertThat(AuditText.clean("x\ud800y")).isEqualTo("x\\ud800y");
        assertThat(AuditText.clean("\udc00")).isEqualTo("\\udc00");
        AuditEvent event = AuditEvent.request(Instant.EPOCH, "r\u0000", "anonymous", null, null, AuditOperation.REQUEST,
                Target.secret("b", "p\ud800"), Result.failure(Outcome.INVALID, 400, "INVALID_PATH"));
        // What was unstorable before: PostgreSQL refuses a NUL, the canonical form an unpaired surrogate.
        assertThat(event.correlationId()).isEqualTo("r\\u0000");
        assertThat(event.target().path()).isEqualTo("p\\ud800");
    }

    @Test
    void overlongValuesAreCutAndMarked() {
        String cleaned = AuditText.clean("x".repeat(10_000));
        assertThat(cleaned).hasSize(AuditText.MAX_LENGTH).endsWith("…");
    }
}
