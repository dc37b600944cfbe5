package dev.larder.storage.bazel;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ActionResultCodecTest {
    private static final Digest EMPTY = Digest.sha256(new byte[0]);
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void encode_withoutTime_isTheActionResultBytesWrittenOutByHand() {
        byte[] got = ActionResultCodec.encode(new StoredOutput(EMPTY, 1234, Instant.EPOCH));
        String want = "124f"                                   // ActionResult.output_files (2), 79 bytes
                + "0a06" + HEX.formatHex("output".getBytes(US_ASCII)) // OutputFile.path (1)
                + "1245"                                       // OutputFile.digest (2), 69 bytes
                + "0a40" + HEX.formatHex(EMPTY.toString().getBytes(US_ASCII)) // Digest.hash (1), 64 hex digits
                + "10d209";                                    // Digest.size_bytes (2) = 1234
        assertEquals(want, HEX.formatHex(got));
    }

    @Test
    void decode_encoded_roundTripsWithNanoseconds() {
        StoredOutput r = new StoredOutput(EMPTY, 1L << 40, Instant.parse("2026-11-21T20:01:02.123456789Z"));
        assertEquals(r, ActionResultCodec.decode(ActionResultCodec.encode(r)));
        StoredOutput whole = new StoredOutput(EMPTY, 0, Instant.ofEpochSecond(1_800_000_000L));
        assertEquals(whole, ActionResultCodec.decode(ActionResultCodec.encode(whole)));
    }

    @Test
    void decode_otherToolsFields_areSkipped() {
        ByteArrayOutputStream digest = new ByteArrayOutputStream();
        digest.writeBytes(HEX.parseHex("0a40"));
        digest.writeBytes(EMPTY.toString().getBytes(US_ASCII));
        digest.writeBytes(HEX.parseHex("1007"));                 // size 7
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.writeBytes(HEX.parseHex("0a03616263"));             // path "abc"
        file.writeBytes(HEX.parseHex("2001"));                   // is_executable = true (4)
        file.writeBytes(HEX.parseHex("12" + String.format("%02x", digest.size())));
        file.writeBytes(digest.toByteArray());
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        result.writeBytes(HEX.parseHex("2001"));                 // exit_code = 1 (4)
        result.writeBytes(HEX.parseHex("2a03616263"));           // stdout_raw "abc" (5)
        result.writeBytes(HEX.parseHex("790102030405060708"));   // field 15, fixed64
        result.writeBytes(HEX.parseHex("12" + String.format("%02x", file.size())));
        result.writeBytes(file.toByteArray());
        result.writeBytes(HEX.parseHex("1d01020304"));           // field 3, fixed32
        StoredOutput r = ActionResultCodec.decode(result.toByteArray());
        assertEquals(EMPTY, r.output());
        assertEquals(7, r.size());
        assertEquals(Instant.EPOCH, r.time(), "time of a record without one: got " + r.time() + ", want EPOCH (unknown)");
    }

    @Test
    void decode_malformed_saysWhatIsWrong() {
        assertMessage("no output file", new byte[0]);
        assertMessage("truncated varint", HEX.parseHex("12"));
        assertMessage("field of 79 bytes", HEX.parseHex("124f0a06"));
        assertMessage("wire type 3", HEX.parseHex("0b"));
        byte[] badHash = ActionResultCodec.encode(new StoredOutput(EMPTY, 1, Instant.EPOCH));
        badHash[20] = 'X'; // inside the hash's hex digits (they start at byte 14)
        assertMessage("want 64 lowercase hex digits", badHash);
        byte[] noSize = HEX.parseHex("1246" + "0a00" + "1242" + "0a40" + HEX.formatHex(EMPTY.toString().getBytes(US_ASCII)));
        assertMessage("no size", noSize);
    }

    @Test
    void decode_encodedSignature_roundTrips_withAndWithoutTime() {
        byte[] sig = new byte[RecordSignature.LENGTH];
        for (int i = 0; i < sig.length; i++) {
            sig[i] = (byte) (i * 7 + 3);
        }
        StoredOutput timed = new StoredOutput(EMPTY, 42, Instant.parse("2026-11-21T20:01:02.5Z")).signed(RecordSignature.of(sig));
        assertEquals(timed, ActionResultCodec.decode(ActionResultCodec.encode(timed)));
        StoredOutput untimed = new StoredOutput(EMPTY, 42, Instant.EPOCH).signed(RecordSignature.of(sig));
        assertEquals(untimed, ActionResultCodec.decode(ActionResultCodec.encode(untimed)));
    }

    @Test
    void decode_signatureThatIsMalformed_orOfAnotherType_isNone() {
        StoredOutput plain = new StoredOutput(EMPTY, 7, Instant.ofEpochSecond(1_800_000_000L));
        byte[] base = ActionResultCodec.encode(plain);
        // execution_metadata (9) again, holding one auxiliary_metadata (11) Any: protobuf merges
        // repeated messages, and the reader takes the first Any of larder's type it can read.
        for (String any : new String[] {
            "0a" + hexLen("type.googleapis.com/other.Type") + HEX.formatHex("type.googleapis.com/other.Type".getBytes(US_ASCII))
                    + "1242" + "0a40" + "00".repeat(64),
            "0a" + hexLen(ActionResultCodec.SIGNATURE_TYPE) + HEX.formatHex(ActionResultCodec.SIGNATURE_TYPE.getBytes(US_ASCII))
                    + "1205" + "0a03" + "010203",
            "0a" + hexLen(ActionResultCodec.SIGNATURE_TYPE) + HEX.formatHex(ActionResultCodec.SIGNATURE_TYPE.getBytes(US_ASCII))
                    + "1203" + "0a05" + "01"}) {
            String meta = "5a" + hexLen(any) + any;
            byte[] bytes = HEX.parseHex(HEX.formatHex(base) + "4a" + String.format("%02x", meta.length() / 2) + meta);
            StoredOutput got = ActionResultCodec.decode(bytes);
            assertEquals(plain.output(), got.output(), "output of " + HEX.formatHex(bytes));
            assertTrue(got.signature().isEmpty(), "signature of " + HEX.formatHex(bytes) + ": got " + got.signature());
        }
    }

    private static String hexLen(String textOrHex) {
        int n = textOrHex.matches("[0-9a-f]+") && textOrHex.length() % 2 == 0 ? textOrHex.length() / 2 : textOrHex.length();
        return String.format("%02x", n);
    }

    private static void assertMessage(String part, byte[] bytes) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ActionResultCodec.decode(bytes));
        assertTrue(e.getMessage().contains(part), "got \"" + e.getMessage() + "\", want it to say " + part);
    }
}
