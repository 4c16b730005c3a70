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
        AuditEvent event = new AuditEvent(Instant.EPOCH, "r\u0000", "anonymous", "request", null, "p\ud800", null, null,
                AuditEvent.Outcome.INVALID, 400, "INVALID_PATH", null);
        // What was unstorable before: PostgreSQL refuses a NUL, the canonical form an unpaired surrogate.
        byte[] canonical = ChainedEvent.of(1, event, null).canonical();
        assertThat(canonical).isNotEmpty();
        assertThat(event.requestId()).isEqualTo("r\\u0000");
    }

    @Test
    void overlongValuesAreCutAndMarked() {
        String cleaned = AuditText.clean("x".repeat(10_000));
        assertThat(cleaned).hasSize(AuditText.MAX_LENGTH).endsWith("…");
    }
}
