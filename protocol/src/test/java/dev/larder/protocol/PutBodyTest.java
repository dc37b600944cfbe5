package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

final class PutBodyTest {
    /** The line after the body on every wire built here; reading it proves the body ended in place. */
    private static final String NEXT = "{\"ID\":2,\"Command\":\"get\"}";

    /** Destination sizes: 1, 2 and 5 leave decoded bytes pending between reads. */
    private static final int[] READ_SIZES = {1, 2, 3, 5, 8192};

    /** Input chunkings: one byte per refill, odd splits, and whole buffers. */
    private static final int[][] CHUNKINGS = {{1}, {3, 7, 2, 5}, {}};

    static IntStream smallSizes() {
        return IntStream.rangeClosed(0, 70);
    }

    @ParameterizedTest
    @MethodSource("smallSizes")
    void read_smallBodies_roundTrip(int size) throws IOException {
        byte[] body = randomBytes(size, size);
        for (int[] chunking : CHUNKINGS) {
            for (int readSize : READ_SIZES) {
                WireInput in = wire("\n" + bodyLine(body) + NEXT + "\n", chunking);
                PutBody put = new PutBody(in, size);
                byte[] got = readAll(put, readSize);
                assertArrayEquals(body, got, "size " + size + ", reads of " + readSize
                        + ", chunks " + Arrays.toString(chunking) + ": decoded bytes differ");
                assertEquals(size, put.bytesDecoded(), "bytesDecoded()");
                assertNextLine(in);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 4093, 8192, 100_000})
    void read_largeBodyWithEveryByteValue_roundTrips(int readSize) throws IOException {
        int size = (1 << 20) + 1;
        byte[] body = randomBytes(size, 42);
        for (int i = 0; i < 256; i++) {
            body[i * 17] = (byte) i;
        }
        WireInput in = wire("\n" + bodyLine(body) + NEXT + "\n", new int[] {65536, 1, 4099, 3});
        PutBody put = new PutBody(in, size);

        byte[] got = readAll(put, readSize);

        assertEquals(size, got.length, "decoded length");
        assertArrayEquals(body, got, "decoded bytes differ");
        assertNextLine(in);
    }

    @Test
    void read_singleByteReads_roundTrip() throws IOException {
        byte[] body = randomBytes(1000, 7);
        WireInput in = wire("\n" + bodyLine(body) + NEXT + "\n", new int[] {5});
        PutBody put = new PutBody(in, body.length);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int b;
        while ((b = put.read()) >= 0) {
            got.write(b);
        }
        assertArrayEquals(body, got.toByteArray());
        assertEquals(-1, put.read(), "read() after the end");
        assertNextLine(in);
    }

    @Test
    void read_withOffset_fillsOnlyTheRequestedRange() throws IOException {
        PutBody put = new PutBody(wire("\n\"QUJDREVG\"\n", new int[0]), 6);
        byte[] dst = new byte[10];
        Arrays.fill(dst, (byte) '.');

        int n = put.read(dst, 2, 5);

        assertEquals(5, n, "bytes read");
        assertEquals("..ABCDE...", new String(dst, StandardCharsets.US_ASCII));
        assertEquals(1, put.read(dst, 0, 10), "bytes read by the second call");
        assertEquals('F', dst[0]);
        assertEquals(-1, put.read(dst, 0, 10), "read at the end");
    }

    @Test
    void read_zeroLength_returnsZeroWithoutReading() throws IOException {
        PutBody put = new PutBody(wire("\n\"QUJD\"\n", new int[0]), 3);
        assertEquals(0, put.read(new byte[4], 0, 0));
        assertArrayEquals("ABC".getBytes(StandardCharsets.US_ASCII), readAll(put, 8));
    }

    @Test
    void read_outOfBoundsRange_throwsIndexOutOfBounds() {
        PutBody put = new PutBody(wire("\n\"QUJD\"\n", new int[0]), 3);
        assertThrows(IndexOutOfBoundsException.class, () -> put.read(new byte[4], 2, 3));
    }

    @ParameterizedTest
    @MethodSource("paddedBodies")
    void read_paddedBody_decodes(String encoded, byte[] want) throws IOException {
        for (int readSize : READ_SIZES) {
            WireInput in = wire("\n\"" + encoded + "\"\n" + NEXT + "\n", new int[] {1});
            byte[] got = readAll(new PutBody(in, want.length), readSize);
            assertArrayEquals(want, got, encoded + " with reads of " + readSize);
            assertNextLine(in);
        }
    }

    static Stream<Arguments> paddedBodies() {
        return Stream.of(
                Arguments.of("AA==", new byte[] {0}),
                Arguments.of("/w==", new byte[] {(byte) 0xff}),
                Arguments.of("AAA=", new byte[] {0, 0}),
                Arguments.of("//8=", new byte[] {(byte) 0xff, (byte) 0xff}),
                Arguments.of("QUJDRA==", "ABCD".getBytes(StandardCharsets.US_ASCII)),
                Arguments.of("QUJDREU=", "ABCDE".getBytes(StandardCharsets.US_ASCII)),
                Arguments.of("", new byte[0]));
    }

    @Test
    void read_escapedSlashes_areDecodedAsSlash() throws IOException {
        byte[] body = new byte[96];
        Arrays.fill(body, (byte) 0xff);
        for (int i = 0; i < body.length; i += 5) {
            body[i] = (byte) i;
        }
        String encoded = Base64.getEncoder().encodeToString(body);
        assertTrue(encoded.contains("/"), "test body must encode to some '/': " + encoded);
        String escaped = encoded.replace("/", "\\/");

        for (int readSize : READ_SIZES) {
            WireInput in = wire("\n\"" + escaped + "\"\n" + NEXT + "\n", new int[] {1, 2});
            byte[] got = readAll(new PutBody(in, body.length), readSize);
            assertArrayEquals(body, got, "reads of " + readSize);
            assertNextLine(in);
        }
    }

    @Test
    void read_crlfLineEndings_areAccepted() throws IOException {
        WireInput in = wire("\r\n\"QUJDRA==\"\r\n" + NEXT + "\r\n", new int[0]);
        byte[] got = readAll(new PutBody(in, 4), 8192);
        assertArrayEquals("ABCD".getBytes(StandardCharsets.US_ASCII), got);
        assertNextLine(in);
    }

    @Test
    void read_lastLineWithoutNewline_isAccepted() throws IOException {
        WireInput in = wire("\n\"QUJD\"", new int[0]);
        byte[] got = readAll(new PutBody(in, 3), 8192);
        assertArrayEquals("ABC".getBytes(StandardCharsets.US_ASCII), got);
        assertNull(in.readLine(RequestReader.MAX_LINE), "after the body line");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBodies")
    void read_malformedBody_throwsProtocolException(String name, String wire, String wantFragment)
            throws IOException {
        for (int readSize : READ_SIZES) {
            PutBody put = new PutBody(wire(wire, new int[] {1}), 64);

            ProtocolException e = assertThrows(ProtocolException.class, () -> readAll(put, readSize),
                    name + " with reads of " + readSize);

            assertMessage(e, wantFragment);
            assertSame(e, put.failure(), "failure() after the read threw");
            assertSame(e, assertThrows(ProtocolException.class, () -> put.read(new byte[8], 0, 8)),
                    "a further read must rethrow the same failure");
            put.close();
            assertSame(e, put.failure(), "failure() after close");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedBodies")
    void close_malformedBodyNotRead_recordsFailure(String name, String wire, String wantFragment) {
        PutBody put = new PutBody(wire(wire, new int[] {2, 3}), 64);

        put.close();

        ProtocolException failure = put.failure();
        assertNotNull(failure, name + ": got no failure after close, want one");
        assertMessage(failure, wantFragment);
    }

    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                Arguments.of("invalid character", "\n\"QU*D\"\n" + NEXT + "\n",
                        "unexpected byte 0x2a at character 3"),
                Arguments.of("url-safe alphabet", "\n\"QU-_\"\n" + NEXT + "\n", "unexpected byte 0x2d"),
                Arguments.of("'=' after one character", "\n\"Q===\"\n" + NEXT + "\n", "'=' at character 2"),
                Arguments.of("'=' at a quad start", "\n\"QUJD=QUJD\"\n" + NEXT + "\n",
                        "'=' at character 5"),
                Arguments.of("third '='", "\n\"QQ===\"\n" + NEXT + "\n", "'=' at character 5"),
                Arguments.of("data after '=='", "\n\"QQ==QUJD\"\n" + NEXT + "\n",
                        "base64 data after '=' padding"),
                Arguments.of("data after one '='", "\n\"QQ=A\"\n" + NEXT + "\n",
                        "base64 data after '=' padding"),
                Arguments.of("data after '='", "\n\"QUJ=D\"\n" + NEXT + "\n", "base64 data after '=' padding"),
                Arguments.of("length 5", "\n\"QUJDR\"\n" + NEXT + "\n", "base64 length 5 is not a multiple of 4"),
                Arguments.of("length 3", "\n\"QUJ\"\n" + NEXT + "\n", "base64 length 3 is not a multiple of 4"),
                Arguments.of("length 3 with '='", "\n\"QQ=\"\n" + NEXT + "\n",
                        "base64 length 3 is not a multiple of 4"),
                Arguments.of("missing closing quote", "\n\"QUJD\n" + NEXT + "\n", "unexpected byte 0xa"),
                Arguments.of("input ends inside the line", "\n\"QUJDREVG", "input ended"),
                Arguments.of("input ends inside a quad", "\n\"QUJDRE", "input ended"),
                Arguments.of("input ends after the opening quote", "\n\"", "input ended"),
                Arguments.of("input ends before the line", "\n", "input ended before the body line"),
                Arguments.of("missing opening quote", "\nQUJD\"\n" + NEXT + "\n", "line starts with byte 0x51"),
                Arguments.of("a request instead of a body", "\n" + NEXT + "\n", "line starts with byte 0x7b"),
                Arguments.of("garbage after the closing quote", "\n\"QUJD\"x\n" + NEXT + "\n",
                        "byte 0x78 after the closing quote"),
                Arguments.of("space after the closing quote", "\n\"QUJD\" \n" + NEXT + "\n",
                        "byte 0x20 after the closing quote"),
                Arguments.of("unknown escape", "\n\"QU\\u0041\"\n" + NEXT + "\n", "escape '\\u'"),
                Arguments.of("escape at the end of input", "\n\"QU\\", "escape"),
                Arguments.of("non-ASCII byte", "\n\"QU\u00e9D\"\n" + NEXT + "\n", "unexpected byte 0xe9"));
    }

    @Test
    void close_unreadBody_drainsThroughTheBodyLine() throws IOException {
        WireInput in = wire("\n" + bodyLine(randomBytes(200_000, 3)) + NEXT + "\n", new int[] {4096, 1});
        PutBody put = new PutBody(in, 200_000);

        put.close();

        assertNull(put.failure(), "failure() after draining a well-formed body");
        assertNextLine(in);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 5, 3000})
    void close_partlyReadBody_drainsTheRest(int readSize) throws IOException {
        byte[] body = randomBytes(5000, 4);
        WireInput in = wire("\n" + bodyLine(body) + NEXT + "\n", new int[] {1, 3});
        PutBody put = new PutBody(in, body.length);
        byte[] first = new byte[readSize];
        int n = put.read(first, 0, readSize);
        assertTrue(n > 0, "got " + n + " bytes from the first read, want some");
        assertArrayEquals(Arrays.copyOf(body, n), Arrays.copyOf(first, n), "first bytes");

        put.close();

        assertNull(put.failure(), "failure() after draining");
        assertNextLine(in);
    }

    @Test
    void close_twice_isHarmless() throws IOException {
        WireInput in = wire("\n\"QUJD\"\n" + NEXT + "\n", new int[0]);
        PutBody put = new PutBody(in, 3);
        put.close();
        put.close();
        assertNull(put.failure());
        assertNextLine(in);
    }

    @Test
    void read_afterClose_throwsIOException() {
        PutBody put = new PutBody(wire("\n\"QUJD\"\n", new int[0]), 3);
        put.close();
        IOException e = assertThrows(IOException.class, () -> put.read(new byte[3], 0, 3));
        assertMessage(e, "read after close");
    }

    @Test
    void awaitLineReadFor_tellsWhetherCloseRan() throws Exception {
        PutBody put = new PutBody(wire("\n\"QUJD\"\n", new int[0]), 3);
        assertFalse(put.awaitLineReadFor(0), "line read before close()");
        put.close();
        assertTrue(put.awaitLineReadFor(0), "line read after close()");
        put.awaitLineRead();
    }

    @Test
    void awaitLineReadFor_bodyReadToItsEnd_isReleasedBeforeClose() throws Exception {
        WireInput in = wire("\n" + bodyLine(randomBytes(5000, 7)) + NEXT + "\n", new int[] {1000, 7});
        PutBody put = new PutBody(in, 5000);
        byte[] most = new byte[4999];
        assertEquals(4999, put.readNBytes(most, 0, most.length), "bytes read");
        assertFalse(put.awaitLineReadFor(0), "line read with a byte still to come");

        readAll(put, 100);

        assertTrue(put.awaitLineReadFor(0), "line read once a read returned -1, before close()");
        assertNextLine(in);
        put.close();
        assertNull(put.failure(), "failure() after reading to the end");
    }

    @Test
    void declaredSize_isTheRequestsBodySize_evenWhenTheLineDisagrees() throws IOException {
        PutBody put = new PutBody(wire("\n\"QUJD\"\n", new int[0]), 40);
        assertEquals(40, put.declaredSize());
        assertArrayEquals("ABC".getBytes(StandardCharsets.US_ASCII), readAll(put, 100));
        assertEquals(3, put.bytesDecoded(), "bytesDecoded() reports what the line held");
    }

    private static WireInput wire(String text, int[] chunking) {
        return new WireInput(new ChunkedInputStream(text.getBytes(StandardCharsets.ISO_8859_1), chunking));
    }

    private static String bodyLine(byte[] body) {
        return "\"" + Base64.getEncoder().encodeToString(body) + "\"\n";
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] readAll(PutBody body, int readSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[readSize];
        int n;
        while ((n = body.read(buf, 0, readSize)) >= 0) {
            assertTrue(n > 0, "got a read of 0 bytes for " + readSize + " requested, want -1 or more");
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static void assertNextLine(WireInput in) throws IOException {
        byte[] line = in.readLine(RequestReader.MAX_LINE);
        String got = line == null ? "end of input" : new String(line, StandardCharsets.ISO_8859_1);
        assertEquals(NEXT, got, "line after the body");
    }

    private static void assertMessage(Exception e, String wantFragment) {
        String got = e.getMessage();
        assertTrue(got != null && got.contains(wantFragment),
                "got message \"" + got + "\", want one containing \"" + wantFragment + "\"");
    }

    @Test
    void writeLine_eachPadding_isAQuotedBase64LineAsCmdGoWritesIt() throws IOException {
        for (String body : new String[] {"", "h", "he", "hel", "hello"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long n = PutBody.writeLine(new java.io.ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), out);
            assertEquals(body.length(), n);
            assertEquals("\"" + Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)) + "\"\n",
                    out.toString(StandardCharsets.UTF_8));
        }
    }
}
