package dev.lanyard.rotation.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretJsonTest {

    @Test
    void unknownKeysAndTheirTypesSurviveARoundTrip() {
        String value = "{\"username\":\"app\",\"port\":5432,\"ssl\":true,\"tags\":[\"a\",\"b\"],\"nested\":{\"k\":1.5}}";

        assertThat(SecretJson.write(SecretJson.parseObject(value))).isEqualTo(value);
    }

    @Test
    void malformedJsonIsReportedWithoutQuotingTheValue() {
        String broken = "{\"password\": \"hunter2-very-secret\", oops}";

        assertThatThrownBy(() -> SecretJson.parseObject(broken))
                .isInstanceOf(MalformedSecretException.class)
                .hasMessage("The secret's value is not a JSON object")
                .hasNoCause()
                .satisfies(e -> assertThat(e.toString()).doesNotContain("hunter2"));
    }

    @Test
    void onlyAJsonObjectIsAnObject() {
        assertThat(SecretJson.tryParseObject("plain-random-value")).isEmpty();
        assertThat(SecretJson.tryParseObject("[1, 2]")).isEmpty();
        assertThat(SecretJson.tryParseObject("{broken")).isEmpty();
        assertThat(SecretJson.tryParseObject(" {\"a\": \"b\"}")).contains(Map.of("a", "b"));
    }
}
