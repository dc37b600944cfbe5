package dev.larder.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;

/**
 * The body of one {@code put}, decoded from its base64 JSON-string line as it is read.
 *
 * <p>Memory stays bounded whatever the body size: bytes are decoded straight from the input
 * buffer into the caller's array. Decoding is strict: standard alphabet, padded to a multiple of
 * four characters, nothing after the padding, the closing quote followed by the end of the line.
 * Any violation, or input ending inside the line, throws {@link ProtocolException}: the stream
 * can no longer be framed.
 *
 * <p>Thread-safety: one consumer thread reads the body; another thread (the one that reads
 * requests) may wait in {@link #awaitLineRead()} until the body's line is off the wire: read to
 * its end by the consumer, or drained by {@link #close()}, which reads and discards whatever the
 * consumer left, so the next request starts at the right place. The consumer may still be
 * working with what it read (hashing, storing) while the next request is read.
 */
public final class PutBody extends InputStream {
    private static final byte[] DECODE = new byte[256];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            DECODE[alphabet.charAt(i)] = (byte) i;
        }
    }

    private final WireInput in;
    private final long declaredSize;
    /** Counted down once this body no longer reads the wire: its line ended, or close ran. */
    private final CountDownLatch lineRead = new CountDownLatch(1);
    private final byte[] pending = new byte[3];
    private int pendingPos;
    private int pendingLen;
    private int quad;
    private int quadChars;
    private int padding;
    private long chars;
    private long decoded;
    private boolean started;
    private boolean ended;
    private volatile ProtocolException failure;
    private volatile boolean isClosed;

    PutBody(WireInput in, long declaredSize) {
        this.in = in;
        this.declaredSize = declaredSize;
    }

    /**
     * Writes {@code body}, read to its end, as a put's body line, the way cmd/go does: a JSON
     * string of standard padded base64, then a newline. Streams: memory stays small whatever the
     * size. Does not flush or close {@code out}.
     *
     * @return the number of body bytes written
     * @throws IOException if the body cannot be read or {@code out} written; half a line may then
     *                     be on the wire
     */
    public static long writeLine(InputStream body, OutputStream out) throws IOException {
        out.write('"');
        OutputStream enc = java.util.Base64.getEncoder().wrap(new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                this.out.write(b, off, len);
            }

            @Override
            public void close() {
                // the encoder's close writes the final quad; the line's stream stays open
            }
        });
        long n = body.transferTo(enc);
        enc.close();
        out.write('"');
        out.write('\n');
        return n;
    }

    /** The {@code BodySize} the request declared. */
    public long declaredSize() {
        return declaredSize;
    }

    /** Bytes decoded so far; after the body is read to its end, the body's true length. */
    public long bytesDecoded() {
        return decoded;
    }

    /** The framing error met while reading, or null. */
    public ProtocolException failure() {
        return failure;
    }

    /**
     * Blocks until the body's line is off the wire: the consumer has read the body to its end
     * (a read returned -1), or {@link #close()} has run. After that this body never reads the
     * input again, so the next request may be read; a {@link #failure()} is known by then.
     */
    public void awaitLineRead() throws InterruptedException {
        lineRead.await();
    }

    boolean awaitLineReadFor(long millis) throws InterruptedException {
        return lineRead.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] dst, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        if (isClosed) {
            throw new IOException("put body: read after close");
        }
        if (failure != null) {
            throw failure;
        }
        if (len == 0) {
            return 0;
        }
        try {
            return decode(dst, off, len);
        } catch (ProtocolException e) {
            failure = e;
            throw e;
        }
    }

    private int decode(byte[] dst, int off, int len) throws IOException {
        int n = 0;
        while (n < len) {
            if (pendingPos < pendingLen) {
                dst[off + n++] = pending[pendingPos++];
                continue;
            }
            if (ended) {
                break;
            }
            if (!started) {
                openQuote();
                continue;
            }
            if (!in.ensure()) {
                throw new ProtocolException("put body: input ended after " + decoded
                        + " bytes of the body line, declared BodySize " + declaredSize);
            }
            byte[] buf = in.buffer();
            int p = in.position();
            int lim = in.limit();
            if (quadChars == 0 && padding == 0) {
                // Fastest path: four characters at a time, in locals, while both have room; the
                // first quad with a byte outside the alphabet ('=', '"') is left to the loops below.
                int start = p;
                int o = off + n;
                int end = off + len;
                while (lim - p >= 4 && end - o >= 3) {
                    int a = DECODE[buf[p] & 0xff];
                    int b = DECODE[buf[p + 1] & 0xff];
                    int c = DECODE[buf[p + 2] & 0xff];
                    int d = DECODE[buf[p + 3] & 0xff];
                    if ((a | b | c | d) < 0) {
                        break;
                    }
                    int q = a << 18 | b << 12 | c << 6 | d;
                    dst[o] = (byte) (q >> 16);
                    dst[o + 1] = (byte) (q >> 8);
                    dst[o + 2] = (byte) q;
                    o += 3;
                    p += 4;
                }
                chars += p - start;
                decoded += o - (off + n);
                n = o - off;
            }
            // Fast path: whole quads straight into dst while both have room.
            while (p < lim && n < len) {
                int c = buf[p] & 0xff;
                int v = DECODE[c];
                if (v < 0 || padding > 0) {
                    break;
                }
                p++;
                chars++;
                quad = (quad << 6) | v;
                if (++quadChars == 4) {
                    quadChars = 0;
                    if (len - n >= 3) {
                        dst[off + n++] = (byte) (quad >> 16);
                        dst[off + n++] = (byte) (quad >> 8);
                        dst[off + n++] = (byte) quad;
                        decoded += 3;
                    } else {
                        stash(3);
                        break;
                    }
                }
            }
            in.advanceTo(p);
            if (n >= len || pendingPos < pendingLen || p == lim) {
                continue;
            }
            special(in.read());
        }
        return n == 0 && ended ? -1 : n;
    }

    private void stash(int count) {
        pending[0] = (byte) (quad >> 16);
        pending[1] = (byte) (quad >> 8);
        pending[2] = (byte) quad;
        pendingPos = 0;
        pendingLen = count;
        decoded += count;
    }

    /** Handles one byte outside the base64 alphabet, or any byte after padding began. */
    private void special(int c) throws IOException {
        if (c == '=') {
            chars++;
            if (quadChars == 2 && padding == 0) {
                // "xx==": the second '=' must follow; one byte comes out of this quad.
                padding = 1;
                quadChars = 3;
                quad <<= 6;
                return;
            }
            if (quadChars == 3 && padding <= 1) {
                int bytesOut = padding == 1 ? 1 : 2;
                quad <<= 6;
                quadChars = 0;
                stash(bytesOut);
                padding = 3; // the quad is complete; only the closing quote may follow
                return;
            }
            throw bad("'=' at character " + chars + " of the body string");
        }
        if (c == '"') {
            if (quadChars != 0) {
                throw bad("base64 length " + chars + " is not a multiple of 4");
            }
            endLine();
            return;
        }
        if (c == '\\' && padding == 0) {
            // JSON allows "\/" for "/"; Go never writes it, other clients may.
            int next = in.read();
            if (next == '/') {
                chars++;
                quad = (quad << 6) | 63;
                if (++quadChars == 4) {
                    quadChars = 0;
                    stash(3);
                }
                return;
            }
            throw bad("escape '\\" + (next < 0 ? "" : Character.toString(next)) + "' in the body string");
        }
        if (c < 0) {
            throw new ProtocolException("put body: input ended after " + decoded
                    + " bytes of the body line, declared BodySize " + declaredSize);
        }
        if (padding > 0 && DECODE[c] >= 0) {
            throw bad("base64 data after '=' padding");
        }
        throw bad("unexpected byte 0x" + Integer.toHexString(c) + " at character " + (chars + 1)
                + " of the body string; want standard base64");
    }

    private void openQuote() throws IOException {
        int c;
        do {
            c = in.read();
        } while (c == '\n' || c == '\r' || c == ' ' || c == '\t');
        if (c != '"') {
            throw new ProtocolException(c < 0
                    ? "put body: input ended before the body line, declared BodySize " + declaredSize
                    : "put body: line starts with byte 0x" + Integer.toHexString(c)
                            + ", want '\"' (a JSON string of base64)");
        }
        started = true;
    }

    private void endLine() throws IOException {
        int c = in.read();
        if (c == '\r') {
            c = in.read();
        }
        if (c != '\n' && c != -1) {
            throw bad("byte 0x" + Integer.toHexString(c) + " after the closing quote, want end of line");
        }
        ended = true;
        // The rest of the body is in pending, if anything: the wire is the next request's.
        lineRead.countDown();
    }

    private ProtocolException bad(String what) {
        return new ProtocolException("put body: " + what);
    }

    /**
     * Reads and discards the rest of the body line, so that the next request can be read, then
     * releases {@link #awaitClosed()}. Framing errors met while draining are kept in
     * {@link #failure()}, not thrown.
     */
    @Override
    public void close() {
        if (isClosed) {
            return;
        }
        try {
            if (failure == null) {
                byte[] sink = new byte[8192];
                while (decode(sink, 0, sink.length) >= 0) {
                    // discard
                }
            }
        } catch (ProtocolException e) {
            failure = e;
        } catch (IOException e) {
            failure = new ProtocolException("put body: reading input: " + e.getMessage(), e);
        } finally {
            isClosed = true;
            lineRead.countDown();
        }
    }
}
