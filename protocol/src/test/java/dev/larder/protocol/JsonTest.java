package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JacksonException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The JSON shapes of {@link Request} and {@link Response}, checked against what Go writes. */
final class JsonTest {
    private static final ActionId ACTION = ActionId.fromHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final OutputId OUTPUT = OutputId.fromHex(
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    private static final String ACTION_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    private static final String OUTPUT_B64 = "//////////////////////////////////////////8=";

    @Test
    void write_handshake_isExact() throws Exception {
        assertJson("{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}",
                Response.handshake(List.of("get", "put", "close")));
    }

    @Test
    void write_miss_isExact() throws Exception {
        assertJson("{\"ID\":5,\"Miss\":true}", Response.miss(5));
    }

    @Test
    void write_hit_isExact() throws Exception {
        Response hit = Response.found(7, OUTPUT, 1234,
                Instant.parse("2026-11-21T19:09:03.123456789Z"), "/var/cache/larder/ff/ffff-d");
        assertJson("{\"ID\":7,\"OutputID\":\"" + OUTPUT_B64 + "\",\"Size\":1234,"
                + "\"Time\":\"2026-11-21T19:09:03.123456789Z\",\"DiskPath\":\"/var/cache/larder/ff/ffff-d\"}", hit);
    }

    @Test
    void write_timeWithFewerDigits_isValidRfc3339() throws Exception {
        assertJson("{\"ID\":1,\"OutputID\":\"" + OUTPUT_B64 + "\",\"Time\":\"2026-11-21T19:09:03Z\"}",
                Response.found(1, OUTPUT, 0, Instant.parse("2026-11-21T19:09:03Z"), null));
        assertJson("{\"ID\":1,\"OutputID\":\"" + OUTPUT_B64 + "\",\"Time\":\"2026-11-21T19:09:03.500Z\"}",
                Response.found(1, OUTPUT, 0, Instant.parse("2026-11-21T19:09:03.5Z"), null));
    }

    @Test
    void write_error_isExact() throws Exception {
        assertJson("{\"ID\":9,\"Err\":\"put body: got 12 bytes, declared 40\"}",
                Response.error(9, "put body: got 12 bytes, declared 40"));
    }

    @Test
    void write_closedAndIdZero_alwaysHaveId() throws Exception {
        assertJson("{\"ID\":3}", Response.closed(3));
        assertJson("{\"ID\":0}", Response.closed(0));
        assertJson("{\"ID\":0}", Response.handshake(List.of()));
    }

    @Test
    void write_emptyValues_areOmittedAsGoOmitempty() throws Exception {
        assertJson("{\"ID\":4}", new Response(4, "", List.of(), false, new byte[0], 0, null, ""));
    }

    @Test
    void write_requests_useGoFieldNames() throws Exception {
        assertJson("{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"" + ACTION_B64 + "\"}", Request.get(1, ACTION));
        assertJson("{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64 + "\",\"OutputID\":\""
                + OUTPUT_B64 + "\",\"BodySize\":5,\"ObjectID\":\"" + OUTPUT_B64 + "\"}",
                Request.put(2, ACTION, OUTPUT, 5));
        assertJson("{\"ID\":3,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64 + "\",\"OutputID\":\""
                + OUTPUT_B64 + "\",\"ObjectID\":\"" + OUTPUT_B64 + "\"}",
                Request.put(3, ACTION, OUTPUT, 0));
        assertJson("{\"ID\":4,\"Command\":\"close\"}", Request.close(4));
        assertJson("{\"ID\":0}", new Request(0, null, null, null, 0, null));
    }

    @Test
    void read_hitWithGoTimeOffset_isParsed() throws Exception {
        Response r = Json.MAPPER.readValue("{\"ID\":3,\"OutputID\":\"" + OUTPUT_B64 + "\",\"Size\":12,"
                + "\"Time\":\"2024-03-05T07:08:09.5+01:00\",\"DiskPath\":\"/c/x-d\"}", Response.class);

        assertEquals(3, r.id(), "ID");
        assertFalse(r.miss(), "Miss");
        assertFalse(r.isError(), "isError()");
        assertEquals(OUTPUT, r.outputId(), "OutputID");
        assertEquals(12, r.size(), "Size");
        assertEquals(Instant.parse("2024-03-05T06:08:09.5Z"), r.time(), "Time");
        assertEquals("/c/x-d", r.diskPath(), "DiskPath");
    }

    @Test
    void read_goTimeFormats_areParsed() throws Exception {
        assertEquals(Instant.parse("2026-11-21T19:09:03.123456789Z"),
                parseTime("2026-11-21T19:09:03.123456789Z"), "UTC with nanoseconds");
        assertEquals(Instant.parse("2026-11-21T19:09:03Z"), parseTime("2026-11-21T19:09:03Z"), "whole seconds");
        assertEquals(Instant.parse("2026-11-22T00:39:03.1Z"), parseTime("2026-11-21T19:09:03.1-05:30"),
                "negative offset");
    }

    @Test
    void read_badTime_throwsJacksonException() {
        assertThrows(JacksonException.class, () -> parseTime("yesterday"));
        assertThrows(JacksonException.class, () -> parseTime("2026-11-21 19:09:03Z"));
        assertThrows(JacksonException.class,
                () -> Json.MAPPER.readValue("{\"ID\":1,\"Time\":12}", Response.class));
        assertThrows(JacksonException.class,
                () -> Json.MAPPER.readValue("{\"ID\":1,\"Time\":{}}", Response.class));
    }

    @Test
    void read_nullTime_isNull() throws Exception {
        assertNull(Json.MAPPER.readValue("{\"ID\":1,\"Time\":null}", Response.class).time());
    }

    @Test
    void read_responsesRoundTrip() throws Exception {
        List<Response> all = List.of(
                Response.handshake(List.of("get", "put", "close")),
                Response.miss(5),
                Response.found(7, OUTPUT, 1234, Instant.parse("2026-11-21T19:09:03.123456789Z"), "/d"),
                Response.error(9, "boom"),
                Response.closed(0));
        for (Response want : all) {
            String json = Json.MAPPER.writeValueAsString(want);
            Response got = Json.MAPPER.readValue(json, Response.class);
            assertEquals(want.toString(), got.toString(), "round trip of " + json);
            if (want.rawOutputId() != null) {
                assertArrayEquals(want.rawOutputId(), got.rawOutputId(), "OutputID of " + json);
            }
        }
    }

    @Test
    void read_goHandshakeAndUnknownFields_areParsed() throws Exception {
        Response r = Json.MAPPER.readValue(
                "{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"],\"Extra\":{\"a\":[1]}}", Response.class);
        assertEquals(0, r.id(), "ID");
        assertEquals(List.of("get", "put", "close"), r.knownCommands(), "KnownCommands");
        assertNull(r.err(), "Err");
    }

    @Test
    void read_errorResponse_isError() throws Exception {
        Response r = Json.MAPPER.readValue("{\"ID\":2,\"Err\":\"no space left\"}", Response.class);
        assertTrue(r.isError(), "isError()");
        assertEquals("no space left", r.err(), "Err");
    }

    @Test
    void outputId_missingOrShort_throwsIllegalArgument() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Response.miss(1).outputId());
        Response shortId = Json.MAPPER.readValue("{\"ID\":1,\"OutputID\":\"AQID\"}", Response.class);
        assertEquals("Response[ID=1, OutputID=<3 bytes>]", shortId.toString(), "toString()");
        assertThrows(IllegalArgumentException.class, shortId::outputId);
    }

    private static Instant parseTime(String rfc3339) throws JacksonException {
        return Json.MAPPER.readValue("{\"ID\":1,\"Time\":\"" + rfc3339 + "\"}", Response.class).time();
    }

    private static void assertJson(String want, Object message) throws JacksonException {
        String got = Json.MAPPER.writeValueAsString(message);
        assertEquals(want, got, "JSON of " + message);
    }
}
