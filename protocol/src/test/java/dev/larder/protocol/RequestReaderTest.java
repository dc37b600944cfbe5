package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class RequestReaderTest {
    private static final ActionId ACTION = ActionId.fromHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static final OutputId OUTPUT = OutputId.fromHex(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /** {@link #ACTION} as Go's encoding/json writes a []byte. */
    private static final String ACTION_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    /** {@link #OUTPUT} as Go's encoding/json writes a []byte. */
    private static final String OUTPUT_B64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

    @Test
    void next_get_isParsed() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"" + ACTION_B64 + "\"}\n\n");

        RequestReader.Incoming in = r.next();

        assertEquals(1, in.request().id(), "ID");
        assertEquals(Request.GET, in.request().command(), "Command");
        assertEquals(ACTION, in.request().actionId(), "ActionID");
        assertFalse(in.request().hasBody(), "hasBody()");
        assertNull(in.body(), "body of a get");
        assertNull(r.next(), "after the only request");
    }

    @Test
    void next_putWithBody_isParsedAndBodyDecoded() throws IOException {
        RequestReader r = reader("{\"ID\":7,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64
                + "\",\"OutputID\":\"" + OUTPUT_B64 + "\",\"BodySize\":3,\"ObjectID\":\"" + OUTPUT_B64
                + "\"}\n\n\"YWJj\"\n");

        RequestReader.Incoming in = r.next();

        Request put = in.request();
        assertEquals(7, put.id(), "ID");
        assertEquals(Request.PUT, put.command(), "Command");
        assertEquals(ACTION, put.actionId(), "ActionID");
        assertEquals(OUTPUT, put.outputId(), "OutputID");
        assertEquals(3, put.bodySize(), "BodySize");
        assertTrue(put.hasBody(), "hasBody()");
        assertNotNull(in.body(), "body of a put with BodySize 3");
        assertEquals(3, in.body().declaredSize(), "declaredSize()");
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), PutBodyTest.readAll(in.body(), 16));
        in.body().close();
        assertNull(r.next(), "after the put");
    }

    @Test
    void next_close_isParsed() throws IOException {
        RequestReader r = reader("{\"ID\":3,\"Command\":\"close\"}\n\n");
        Request close = r.next().request();
        assertEquals(3, close.id(), "ID");
        assertEquals(Request.CLOSE, close.command(), "Command");
        assertNull(close.rawActionId(), "ActionID of a close");
    }

    @Test
    void next_go123PutWithOnlyObjectId_outputIdFallsBackToIt() throws IOException {
        RequestReader r = reader("{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64
                + "\",\"ObjectID\":\"" + OUTPUT_B64 + "\",\"BodySize\":3}\n\n\"YWJj\"\n");

        RequestReader.Incoming in = r.next();

        assertNull(in.request().rawOutputId(), "OutputID field");
        assertEquals(OUTPUT, in.request().outputId(), "outputId()");
        in.body().close();
        assertNull(in.body().failure(), "body failure");
    }

    @Test
    void next_outputIdAndObjectIdDiffer_outputIdWins() throws IOException {
        RequestReader r = reader("{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64
                + "\",\"OutputID\":\"" + OUTPUT_B64 + "\",\"ObjectID\":\"" + ACTION_B64 + "\"}\n\n");
        assertEquals(OUTPUT, r.next().request().outputId());
    }

    @Test
    void next_unknownFields_areIgnored() throws IOException {
        RequestReader r = reader("{\"ID\":4,\"Future\":{\"a\":[1,2,{\"b\":null}]},\"Command\":\"get\","
                + "\"ActionID\":\"" + ACTION_B64 + "\",\"Flag\":true}\n\n");
        Request get = r.next().request();
        assertEquals(4, get.id(), "ID");
        assertEquals(Request.GET, get.command(), "Command");
        assertEquals(ACTION, get.actionId(), "ActionID");
    }

    @Test
    void next_unknownCommand_isParsedWithItsName() throws IOException {
        RequestReader r = reader("{\"ID\":9,\"Command\":\"stat\",\"ActionID\":\"" + ACTION_B64
                + "\",\"BodySize\":5}\n\n{\"ID\":10,\"Command\":\"get\"}\n\n");

        RequestReader.Incoming in = r.next();

        assertEquals("stat", in.request().command(), "Command");
        assertEquals(9, in.request().id(), "ID");
        assertNull(in.body(), "only a put has a body line, whatever its BodySize");
        assertEquals(10, r.next().request().id(), "ID of the request after");
    }

    @Test
    void next_blankLinesBetweenRequests_areSkipped() throws IOException {
        RequestReader r = reader("\n\r\n \t\n{\"ID\":1,\"Command\":\"get\"}\n\n\n\n"
                + "{\"ID\":2,\"Command\":\"get\"}\r\n\r\n  \n");
        assertEquals(1, r.next().request().id(), "first ID");
        assertEquals(2, r.next().request().id(), "second ID");
        assertNull(r.next(), "after trailing blank lines");
    }

    @Test
    void next_emptyInput_returnsNull() throws IOException {
        assertNull(reader("").next());
    }

    @Test
    void next_atEndOfInput_keepsReturningNull() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"get\"}\n\n");
        r.next();
        assertNull(r.next(), "first call at the end");
        assertNull(r.next(), "second call at the end");
    }

    @Test
    void next_lastLineWithoutNewline_isParsed() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"get\"}");
        assertEquals(1, r.next().request().id());
        assertNull(r.next());
    }

    @Test
    void next_brokenJson_throwsProtocolExceptionNamingLine() {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"get\"}\n\n{\"ID\":2,\"Command\":\n");
        ProtocolException e = assertThrows(ProtocolException.class, () -> {
            r.next();
            r.next();
        });
        assertMessage(e, "line 3: not a JSON request");
        assertMessage(e, "{\"ID\":2,\"Command\":");
    }

    @Test
    void next_lineNumberAfterPutBody_countsTheBodyLines() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"get\"}\n\n{\"ID\":2,\"Command\":\"put\",\"BodySize\":1}\n\n"
                + "\"YQ==\"\nnot json\n");
        r.next();
        r.next().body().close();
        ProtocolException e = assertThrows(ProtocolException.class, r::next);
        assertMessage(e, "line 6: not a JSON request");
    }

    @Test
    void next_nonObjectJson_throwsProtocolException() {
        assertMessage(assertThrows(ProtocolException.class, () -> reader("[1,2]\n").next()),
                "not a JSON request");
        assertMessage(assertThrows(ProtocolException.class, () -> reader("\"get\"\n").next()),
                "not a JSON request");
        assertMessage(assertThrows(ProtocolException.class, () -> reader("42\n").next()),
                "not a JSON request");
        assertMessage(assertThrows(ProtocolException.class, () -> reader("null\n").next()),
                "got null, want a JSON object");
    }

    @Test
    void next_twoObjectsOnOneLine_throwsProtocolException() {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> reader("{\"ID\":1,\"Command\":\"get\"} {\"ID\":2}\n").next());
        assertMessage(e, "not a JSON request");
    }

    @Test
    void next_idNotAJsonInteger_cannotBeFramed() {
        // cmd/go's Request.ID is an int64: encoding/json writes digits, never a fraction or a string.
        for (String id : new String[] {"1.9", "1.0", "1e3", "\"12\"", "\"one\"", "true", "[1]", "{}",
                "9223372036854775808"}) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> reader("{\"ID\":" + id + ",\"Command\":\"get\"}\n\n").next(), "ID " + id);
            assertMessage(e, "line 1: ID: got " + ("1e3".equals(id) ? "1000.0" : id) + ", want an integer");
        }
    }

    @Test
    void next_idMissingOrNull_cannotBeFramed() {
        for (String line : new String[] {"{\"Command\":\"get\",\"ActionID\":\"" + ACTION_B64 + "\"}",
                "{\"ID\":null,\"Command\":\"get\"}", "{}"}) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> reader(line + "\n\n").next(), line);
            assertMessage(e, "line 1: no ID");
        }
    }

    @Test
    void next_idZeroOrNegative_cannotBeFramed() {
        ProtocolException zero = assertThrows(ProtocolException.class,
                () -> reader("{\"ID\":0,\"Command\":\"get\"}\n\n").next());
        assertMessage(zero, "ID: got 0, want 1 or more (0 is the handshake's)");
        ProtocolException negative = assertThrows(ProtocolException.class,
                () -> reader("{\"ID\":-4,\"Command\":\"close\"}\n\n").next());
        assertMessage(negative, "ID: got -4, want 1 or more");
    }

    @Test
    void next_badIdWithOtherBadFields_cannotBeFramed() {
        // The other fields would make it a request to salvage; the ID still cannot be answered.
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> reader("{\"ID\":2.5,\"Command\":\"get\",\"ActionID\":\"!!\"}\n\n").next());
        assertMessage(e, "ID: got 2.5");
    }

    @Test
    void next_bodySizeNotAJsonInteger_cannotBeFramed() {
        // Whether a body line follows depends on BodySize: without an integer, nothing says.
        for (String size : new String[] {"3.5", "\"3\"", "null", "1e2"}) {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> reader("{\"ID\":3,\"Command\":\"put\",\"BodySize\":" + size + "}\n\n\"QUJD\"\n").next(),
                    "BodySize " + size);
            assertMessage(e, "line 1: BodySize: got " + ("1e2".equals(size) ? "100.0" : size) + ", want an integer");
        }
    }

    @Test
    void next_negativeBodySize_isInvalidWithItsIdAndHasNoBody() throws IOException {
        RequestReader r = reader("{\"ID\":3,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64
                + "\",\"BodySize\":-1}\n\n{\"ID\":4,\"Command\":\"close\"}\n\n");
        RequestReader.Incoming bad = r.next();
        assertEquals(3, bad.request().id(), "ID");
        assertNull(bad.body(), "got a body, want none: cmd/go writes a body line only for a positive BodySize");
        assertEquals("BodySize: got -1, want 0 or more", bad.invalid(), "reason");
        assertEquals(4, r.next().request().id(), "the request after");
    }

    @Test
    void next_longestAllowedLine_isParsed() throws IOException {
        RequestReader r = reader(lineOfLength(RequestReader.MAX_LINE) + "\n");
        assertEquals(1, r.next().request().id());
    }

    @Test
    void next_overLongLine_throwsProtocolException() {
        RequestReader r = reader(lineOfLength(RequestReader.MAX_LINE + 1) + "\n");
        ProtocolException e = assertThrows(ProtocolException.class, r::next);
        assertMessage(e, "longer than " + RequestReader.MAX_LINE + " bytes");
    }

    @Test
    void next_putBodyThenRequest_readsTheRequestAfterTheBody() throws IOException {
        byte[] body = PutBodyTest.randomBytes(100_003, 11);
        String wire = "{\"ID\":1,\"Command\":\"put\",\"BodySize\":100003}\n\n\""
                + Base64.getEncoder().encodeToString(body) + "\"\n"
                + "{\"ID\":2,\"Command\":\"get\",\"ActionID\":\"" + ACTION_B64 + "\"}\n\n";
        RequestReader r = new RequestReader(new ChunkedInputStream(
                wire.getBytes(StandardCharsets.US_ASCII), 4096, 1, 13));

        RequestReader.Incoming put = r.next();
        assertArrayEquals(body, PutBodyTest.readAll(put.body(), 8191), "body");
        put.body().close();
        RequestReader.Incoming get = r.next();

        assertEquals(2, get.request().id(), "ID after the body");
        assertEquals(ACTION, get.request().actionId(), "ActionID after the body");
        assertNull(r.next(), "after the get");
    }

    @Test
    void next_putBodyClosedUnread_nextRequestFollows() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":6}\n\n\"QUJDREVG\"\n"
                + "{\"ID\":2,\"Command\":\"put\",\"BodySize\":3}\n\n\"YWJj\"\n"
                + "{\"ID\":3,\"Command\":\"close\"}\n\n");
        r.next().body().close();
        RequestReader.Incoming second = r.next();
        assertEquals(2, second.request().id(), "second ID");
        byte[] partial = new byte[1];
        assertEquals(1, second.body().read(partial, 0, 1), "bytes read");
        second.body().close();
        assertEquals(3, r.next().request().id(), "third ID");
    }

    @Test
    void next_bodyClosedOnAnotherThread_nextRequestFollows() throws Exception {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":3}\n\n\"YWJj\"\n"
                + "{\"ID\":2,\"Command\":\"get\"}\n\n");
        PutBody body = r.next().body();
        CompletableFuture<byte[]> consumer = CompletableFuture.supplyAsync(() -> {
            try (body) {
                return PutBodyTest.readAll(body, 2);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        body.awaitLineRead();

        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), consumer.get(30, TimeUnit.SECONDS));
        assertEquals(2, r.next().request().id());
    }

    @Test
    void next_bodyNeitherReadToItsEndNorClosed_throwsIllegalState() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":3}\n\n\"YWJj\"\n"
                + "{\"ID\":2,\"Command\":\"get\"}\n\n");
        RequestReader.Incoming put = r.next();
        assertEquals(2, put.body().read(new byte[2], 0, 2), "bytes read");

        IllegalStateException e = assertThrows(IllegalStateException.class, r::next);
        assertMessage(e, "neither read to its end nor closed");

        put.body().close();
        assertEquals(2, r.next().request().id(), "ID once the body is closed");
    }

    @Test
    void next_bodyReadToItsEndNotClosed_nextRequestFollows() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":3}\n\n\"YWJj\"\n"
                + "{\"ID\":2,\"Command\":\"get\"}\n\n");
        RequestReader.Incoming put = r.next();
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), PutBodyTest.readAll(put.body(), 16));

        assertEquals(2, r.next().request().id(), "ID while the body is still open");
        put.body().close();
    }

    @Test
    void next_framingErrorInBody_isThrownByTheNextCall() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":3}\n\n\"YW*j\"\n"
                + "{\"ID\":2,\"Command\":\"get\"}\n\n");
        PutBody body = r.next().body();
        body.close();
        ProtocolException failure = body.failure();
        assertNotNull(failure, "failure() after closing a malformed body");

        ProtocolException e = assertThrows(ProtocolException.class, r::next);

        assertSame(failure, e, "next() must throw the body's failure");
        assertMessage(e, "put body: unexpected byte 0x2a");
    }

    @Test
    void next_framingErrorSeenByConsumer_isThrownByTheNextCall() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"BodySize\":3}\n\n\"YWJj");
        PutBody body = r.next().body();
        ProtocolException seen = assertThrows(ProtocolException.class, () -> PutBodyTest.readAll(body, 16));
        body.close();

        assertSame(seen, assertThrows(ProtocolException.class, r::next));
    }

    @Test
    void next_zeroSizePut_hasNoBodyLine() throws IOException {
        RequestReader r = reader("{\"ID\":1,\"Command\":\"put\",\"ActionID\":\"" + ACTION_B64
                + "\",\"OutputID\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"}\n\n"
                + "{\"ID\":2,\"Command\":\"get\",\"ActionID\":\"" + ACTION_B64 + "\"}\n\n");

        RequestReader.Incoming put = r.next();

        assertEquals(0, put.request().bodySize(), "BodySize");
        assertFalse(put.request().hasBody(), "hasBody()");
        assertNull(put.body(), "body of an empty put");
        assertEquals(OutputId.fromHex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
                put.request().outputId(), "OutputID of the empty output");
        assertEquals(2, r.next().request().id(), "ID of the request after");
    }

    @Test
    void next_badIdLengths_parseButFailValidation() throws IOException {
        RequestReader r = reader("{\"ID\":5,\"Command\":\"put\",\"ActionID\":\"AQID\",\"OutputID\":\"AQ==\"}\n\n"
                + "{\"ID\":6,\"Command\":\"get\"}\n\n");

        Request put = r.next().request();

        assertEquals(5, put.id(), "ID");
        assertArrayEquals(new byte[] {1, 2, 3}, put.rawActionId(), "raw ActionID");
        assertMessage(assertThrows(IllegalArgumentException.class, put::actionId), "got 3 bytes, want 32");
        assertMessage(assertThrows(IllegalArgumentException.class, put::outputId), "got 1 bytes, want 32");
        Request get = r.next().request();
        assertMessage(assertThrows(IllegalArgumentException.class, get::actionId), "missing");
        assertMessage(assertThrows(IllegalArgumentException.class, get::outputId), "missing");
    }

    private static RequestReader reader(String wire) {
        return new RequestReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)));
    }

    /** A valid get request padded with spaces to exactly {@code length} bytes. */
    private static String lineOfLength(int length) {
        String head = "{\"ID\":1,\"Command\":\"get\"";
        return head + " ".repeat(length - head.length() - 1) + "}";
    }

    private static void assertMessage(Exception e, String wantFragment) {
        String got = e.getMessage();
        assertTrue(got != null && got.contains(wantFragment),
                "got message \"" + got + "\", want one containing \"" + wantFragment + "\"");
    }
    @Test
    void next_actionIdNotBase64_isSalvagedForAnErrReply() throws IOException {
        RequestReader r = reader("{\"ID\":7,\"Command\":\"get\",\"ActionID\":\"!!!!\"}\n\n"
                + "{\"ID\":8,\"Command\":\"close\"}\n\n");
        RequestReader.Incoming bad = r.next();
        assertEquals(7, bad.request().id(), "salvaged ID");
        assertEquals("get", bad.request().command(), "salvaged command");
        assertNotNull(bad.invalid(), "got no reason, want one for the Err reply");
        assertTrue(bad.invalid().startsWith("malformed request: "), "got " + bad.invalid());
        RequestReader.Incoming next = r.next();
        assertEquals(8, next.request().id(), "the request after the salvaged one");
        assertNull(next.invalid(), "got a reason for a good request: " + next.invalid());
    }

    @Test
    void next_putWithBadIdsAndABody_bodyIsStillFramedAndSkipped() throws IOException {
        RequestReader r = reader("{\"ID\":3,\"Command\":\"put\",\"ActionID\":123,\"BodySize\":3}\n\n"
                + "\"QUJD\"\n{\"ID\":4,\"Command\":\"close\"}\n\n");
        RequestReader.Incoming bad = r.next();
        assertNotNull(bad.invalid(), "got no reason, want one");
        assertNotNull(bad.body(), "got no body, want the body line to be framed");
        bad.body().close();
        assertEquals(4, r.next().request().id(), "the request after the skipped body");
    }
}
