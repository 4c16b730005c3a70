package dev.lanyard.rest;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * Request bodies are read one way only: a key given twice ({@code "increment":1,"increment":-5}) is refused
 * rather than resolved to whichever came last, so what was validated is what is used; a number or boolean where text
 * belongs ({@code "data":{"pin":1234}}) is refused rather than turned into text, so a secret is stored as it was
 * sent; and a whole number is a JSON integer as JSON Schema counts them ({@code 186} or {@code 186.0}): {@code 1.5} is
 * refused rather than cut to 1, {@code "5"}, {@code ""} and {@code true} rather than read as 5, absent and 1, so the
 * service reads exactly the bodies the OpenAPI document calls valid. (Unknown fields are refused too:
 * {@code quarkus.jackson.fail-on-unknown-properties}.)
 */
@Singleton
class StrictJson implements ObjectMapperCustomizer {
    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.registerModule(new SimpleModule("lanyard-whole-numbers").addDeserializer(Long.class, new WholeNumber()));
    }

    /** A {@code Long} from a JSON number with no fractional part, and from nothing else. */
    static final class WholeNumber extends StdScalarDeserializer<Long> {
        WholeNumber() {
            super(Long.class);
        }

        @Override
        public Long deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            JsonToken token = parser.currentToken();
            if (token == JsonToken.VALUE_NUMBER_INT) {
                return parser.getLongValue();
            }
            if (token == JsonToken.VALUE_NUMBER_FLOAT) {
                BigDecimal value = parser.getDecimalValue();
                try {
                    return value.stripTrailingZeros().longValueExact();
                } catch (ArithmeticException notWhole) {
                    return (Long) context.handleWeirdNumberValue(Long.class, value, "not a whole number");
                }
            }
            return (Long) context.handleUnexpectedToken(Long.class, parser);
        }
    }
}
