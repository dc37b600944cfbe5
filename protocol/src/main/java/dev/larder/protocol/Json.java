package dev.larder.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * The one Jackson configuration for wire messages: Go's field names, unknown fields ignored,
 * times as RFC 3339 strings with nanoseconds (what Go's {@code time.Time} marshals to).
 */
final class Json {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)
            .addModule(timeModule())
            .build();

    private Json() {
    }

    /**
     * A strict {@code int64} field, as Go's encoding/json writes one: only a JSON integer in the
     * range of a long, never a fraction, an exponent, a string or {@code null}, where Jackson
     * would convert {@code 1.9} or {@code "12"}; an absent field is 0 (Go's {@code omitempty}).
     */
    static final class WireInt extends StdDeserializer<Long> {
        private static final long serialVersionUID = 1L;

        WireInt() {
            super(Long.class);
        }

        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt)
                throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                return (Long) ctxt.handleUnexpectedToken(Long.class, p);
            }
            return p.getLongValue(); // throws when out of range
        }

        @Override
        public Long getNullValue(DeserializationContext ctxt)
                throws JsonMappingException {
            return (Long) ctxt.reportInputMismatch(this, "got null, want an integer");
        }

        @Override
        public Object getAbsentValue(DeserializationContext ctxt) {
            return 0L;
        }
    }

    private static SimpleModule timeModule() {
        SimpleModule m = new SimpleModule("larder-time");
        m.addSerializer(Instant.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(Instant.class) {
            @Override
            public void serialize(Instant value, JsonGenerator gen,
                    com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
                // ISO_INSTANT prints UTC with as many fraction digits as needed, which Go's
                // time.Time.UnmarshalJSON (RFC 3339) accepts.
                gen.writeString(DateTimeFormatter.ISO_INSTANT.format(value));
            }
        });
        m.addDeserializer(Instant.class, new com.fasterxml.jackson.databind.deser.std.StdDeserializer<>(Instant.class) {
            @Override
            public Instant deserialize(JsonParser p,
                    DeserializationContext ctxt) throws IOException {
                String text = p.getValueAsString();
                try {
                    return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from);
                } catch (DateTimeParseException e) {
                    return (Instant) ctxt.handleWeirdStringValue(Instant.class, text,
                            "not an RFC 3339 time: %s", e.getMessage());
                }
            }
        });
        return m;
    }
}
