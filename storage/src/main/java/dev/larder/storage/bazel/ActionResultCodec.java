package dev.larder.storage.bazel;

import dev.larder.storage.Digest;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.StoredOutput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The codec of what a remote cache holds under {@code /ac/<action>}: a {@link StoredOutput}
 * (the output's id and size, and when it was put) as a Bazel remote-execution
 * {@code ActionResult} protobuf with one output file whose digest is (output id, size).
 * bazel-remote validates {@code /ac/} uploads as ActionResults (and checks that the digests they
 * name are in its CAS), so this is the form it accepts; a plain WebDAV server stores the bytes as
 * they are.
 *
 * <p>The protobuf is written and read by hand, with no protobuf library: the fields used are
 * (field numbers from {@code build/bazel/remote/execution/v2/remote_execution.proto})
 * <pre>
 * ActionResult            { repeated OutputFile output_files = 2; ExecutedActionMetadata execution_metadata = 9; }
 * OutputFile              { string path = 1; Digest digest = 2; }
 * Digest                  { string hash = 1; int64 size_bytes = 2; }
 * ExecutedActionMetadata  { string worker = 1; google.protobuf.Timestamp worker_completed_timestamp = 4;
 *                           repeated google.protobuf.Any auxiliary_metadata = 11; }
 * Timestamp               { int64 seconds = 1; int32 nanos = 2; }
 * Any                     { string type_url = 1; bytes value = 2; }
 * </pre>
 * A record's {@link RecordSignature} travels as one {@code auxiliary_metadata} entry of type
 * {@value #SIGNATURE_TYPE}, whose value is {@code { bytes ed25519 = 1; }}: a field other readers
 * keep or ignore, so bazel-remote still accepts the record and unsigned readers read it as before.
 * A signature that is malformed is read as none (the record is then unsigned, never an error).
 * Reading skips every other field, so records written by other tools are read too. A record's
 * time of {@link Instant#EPOCH} stands for "not known": it is written as no execution metadata,
 * and a result without a completion time is read as it.
 */
public final class ActionResultCodec {
    /**
     * The largest record accepted, in bytes, by larder's server on PUT and by its client on GET: a
     * record is a few hundred bytes, so anything much larger is not one (and an endless body is
     * refused after this many bytes, not read into memory).
     */
    public static final int MAX_RECORD = 64 * 1024;
    /** The path of the one output file in the ActionResult. */
    static final String PATH = "output";
    private static final String WORKER = "larder";
    /** The {@code type_url} of the auxiliary metadata that carries a record's signature. */
    static final String SIGNATURE_TYPE = "type.googleapis.com/dev.larder.RecordSignature";
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    private ActionResultCodec() {
    }

    /** {@code record} as an ActionResult protobuf; its time is left out if it is {@link Instant#EPOCH}. */
    public static byte[] encode(StoredOutput record) {
        ByteArrayOutputStream digest = new ByteArrayOutputStream();
        string(digest, 1, record.output().toString());
        varintField(digest, 2, record.size());
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        string(file, 1, PATH);
        message(file, 2, digest);
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        message(result, 2, file);
        Instant time = record.time();
        if (!time.equals(Instant.EPOCH) || record.signature().isPresent()) {
            ByteArrayOutputStream meta = new ByteArrayOutputStream();
            string(meta, 1, WORKER);
            if (!time.equals(Instant.EPOCH)) {
                ByteArrayOutputStream ts = new ByteArrayOutputStream();
                varintField(ts, 1, time.getEpochSecond());
                if (time.getNano() != 0) {
                    varintField(ts, 2, time.getNano());
                }
                message(meta, 4, ts);
            }
            if (record.signature().isPresent()) {
                ByteArrayOutputStream sig = new ByteArrayOutputStream();
                bytesField(sig, 1, record.signature().get().bytes());
                ByteArrayOutputStream any = new ByteArrayOutputStream();
                string(any, 1, SIGNATURE_TYPE);
                message(any, 2, sig);
                message(meta, 11, any);
            }
            message(result, 9, meta);
        }
        return result.toByteArray();
    }

    /**
     * Reads an ActionResult: the first output file's digest, the completion time if any
     * ({@link Instant#EPOCH} if none), and larder's signature if there is a well-formed one.
     *
     * @throws IllegalArgumentException if the bytes are not a protobuf, or name no output file
     *                                  with a 64-hex-digit SHA-256 and a size
     */
    public static StoredOutput decode(byte[] bytes) {
        Reader r = new Reader(bytes, 0, bytes.length);
        Digest output = null;
        long size = -1;
        Instant time = null;
        RecordSignature signature = null;
        while (r.more()) {
            int key = (int) r.varint();
            int field = key >>> 3;
            if (field == 2 && (key & 7) == 2 && output == null) {
                Reader file = r.sub();
                while (file.more()) {
                    int fk = (int) file.varint();
                    if (fk >>> 3 == 2 && (fk & 7) == 2) {
                        Reader d = file.sub();
                        while (d.more()) {
                            int dk = (int) d.varint();
                            if (dk >>> 3 == 1 && (dk & 7) == 2) {
                                String hex = d.string();
                                if (!HEX64.matcher(hex).matches()) {
                                    throw new IllegalArgumentException("action record: digest hash " + quote(hex)
                                            + ", want 64 lowercase hex digits");
                                }
                                output = Digest.fromHex(hex);
                            } else if (dk >>> 3 == 2 && (dk & 7) == 0) {
                                size = d.varint();
                            } else {
                                d.skip(dk & 7);
                            }
                        }
                    } else {
                        file.skip(fk & 7);
                    }
                }
            } else if (field == 9 && (key & 7) == 2) {
                Reader meta = r.sub();
                while (meta.more()) {
                    int mk = (int) meta.varint();
                    if (mk >>> 3 == 4 && (mk & 7) == 2) {
                        Reader ts = meta.sub();
                        long seconds = 0;
                        long nanos = 0;
                        while (ts.more()) {
                            int tk = (int) ts.varint();
                            if (tk >>> 3 == 1 && (tk & 7) == 0) {
                                seconds = ts.varint();
                            } else if (tk >>> 3 == 2 && (tk & 7) == 0) {
                                nanos = ts.varint();
                            } else {
                                ts.skip(tk & 7);
                            }
                        }
                        if (nanos < 0 || nanos > 999_999_999) {
                            throw new IllegalArgumentException("action record: timestamp nanos " + nanos);
                        }
                        time = Instant.ofEpochSecond(seconds, nanos);
                    } else if (mk >>> 3 == 11 && (mk & 7) == 2 && signature == null) {
                        signature = signature(meta.sub());
                    } else {
                        meta.skip(mk & 7);
                    }
                }
            } else {
                r.skip(key & 7);
            }
        }
        if (output == null) {
            throw new IllegalArgumentException("action record: no output file with a digest");
        }
        if (size < 0) {
            throw new IllegalArgumentException("action record: the output's digest has no size");
        }
        return new StoredOutput(output, size, time == null ? Instant.EPOCH : time, Optional.ofNullable(signature));
    }

    /** larder's signature in one {@code Any}, or null if the Any is another type or malformed. */
    private static RecordSignature signature(Reader any) {
        try {
            String type = null;
            byte[] value = null;
            while (any.more()) {
                int k = (int) any.varint();
                if (k >>> 3 == 1 && (k & 7) == 2) {
                    type = any.string();
                } else if (k >>> 3 == 2 && (k & 7) == 2) {
                    value = any.sub().bytes();
                } else {
                    any.skip(k & 7);
                }
            }
            if (!SIGNATURE_TYPE.equals(type) || value == null) {
                return null;
            }
            Reader v = new Reader(value, 0, value.length);
            byte[] sig = null;
            while (v.more()) {
                int k = (int) v.varint();
                if (k >>> 3 == 1 && (k & 7) == 2) {
                    sig = v.sub().bytes();
                } else {
                    v.skip(k & 7);
                }
            }
            return sig != null && sig.length == RecordSignature.LENGTH ? RecordSignature.of(sig) : null;
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }

    private static String quote(String s) {
        return "\"" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "\"";
    }

    // ---- writing ----

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void varintField(ByteArrayOutputStream out, int field, long v) {
        varint(out, (long) field << 3);
        varint(out, v);
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] b) {
        varint(out, ((long) field << 3) | 2);
        varint(out, b.length);
        out.writeBytes(b);
    }

    private static void string(ByteArrayOutputStream out, int field, String s) {
        bytesField(out, field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void message(ByteArrayOutputStream out, int field, ByteArrayOutputStream m) {
        bytesField(out, field, m.toByteArray());
    }

    // ---- reading ----

    /** A bounded view of protobuf bytes; every read checks its bounds. */
    private static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("action record: truncated varint at byte " + pos);
                }
                int x = b[pos++] & 0xff;
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("action record: varint longer than 10 bytes at byte " + pos);
        }

        Reader sub() {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw new IllegalArgumentException("action record: field of " + len + " bytes at byte " + pos
                        + ", only " + (end - pos) + " left");
            }
            Reader r = new Reader(b, pos, pos + (int) len);
            pos += (int) len;
            return r;
        }

        byte[] bytes() {
            return Arrays.copyOfRange(b, pos, end);
        }

        String string() {
            Reader s = sub();
            return new String(b, s.pos, s.end - s.pos, StandardCharsets.UTF_8);
        }

        void skip(int wireType) {
            switch (wireType) {
                case 0 -> varint();
                case 1 -> advance(8);
                case 2 -> sub();
                case 5 -> advance(4);
                default -> throw new IllegalArgumentException("action record: wire type " + wireType
                        + " at byte " + pos + " (groups and unknown types are not read)");
            }
        }

        private void advance(int n) {
            if (n > end - pos) {
                throw new IllegalArgumentException("action record: truncated field at byte " + pos);
            }
            pos += n;
        }
    }
}
