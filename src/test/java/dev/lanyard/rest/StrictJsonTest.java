package dev.lanyard.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A body is read as the OpenAPI document reads it: a whole number is what JSON Schema calls an integer, and only that. */
class StrictJsonTest {

    private static final ObjectMapper JSON = strict();

    @ParameterizedTest
    @ValueSource(strings = {"186", "186.0", "1.86e2", "186.000"})
    void wholeNumbersAreRead(String increment) throws JsonProcessingException {
        assertThat(JSON.readValue("{\"lease_id\":\"l\",\"increment\":" + increment + "}", LeaseRequest.class).increment())
                .isEqualTo(186L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5", "\"5\"", "\"\"", "true", "[1]", "{}", "1e30", "9223372036854775808"})
    void anythingElseIsRefused(String increment) {
        assertThatThrownBy(() -> JSON.readValue("{\"lease_id\":\"l\",\"increment\":" + increment + "}", LeaseRequest.class))
                .isInstanceOf(JsonProcessingException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1234", "true", "1.5"})
    void textIsNeverMadeFromANumberOrBoolean(String value) {
        assertThatThrownBy(() -> JSON.readValue("{\"data\":{\"pin\":" + value + "}}", WriteRequest.class))
                .isInstanceOf(JsonProcessingException.class);
    }

    private static ObjectMapper strict() {
        ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
        new StrictJson().customize(mapper);
        return mapper;
    }
}
