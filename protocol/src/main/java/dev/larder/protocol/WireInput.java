package dev.larder.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A buffered byte source shared by request lines and body lines. Not thread-safe: one reader at
 * a time, which the protocol guarantees since a body follows its request on the same stream.
 */
final class WireInput {
    private final InputStream in;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int limit;
    private boolean eof;

    WireInput(InputStream in) {
        this.in = in;
    }

    /** Returns the next byte, or -1 at end of input. */
    int read() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos++] & 0xff;
    }

    /** Returns the next byte without consuming it, or -1 at end of input. */
    int peek() throws IOException {
        if (pos == limit && !fill()) {
            return -1;
        }
        return buf[pos] & 0xff;
    }

    /**
     * Reads one line, without its {@code \n} or a {@code \r} before it. Returns null at end of
     * input when no byte of a line was read; a last line without {@code \n} is returned as is.
     */
    byte[] readLine(int maxLength) throws IOException {
        byte[] line = new byte[256];
        int n = 0;
        while (true) {
            if (pos == limit && !fill()) {
                return n == 0 ? null : trimCr(line, n);
            }
            int start = pos;
            while (pos < limit && buf[pos] != '\n') {
                pos++;
            }
            int chunk = pos - start;
            if (n + chunk > maxLength) {
                throw new ProtocolException("request line longer than " + maxLength + " bytes");
            }
            if (n + chunk > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, n + chunk));
            }
            System.arraycopy(buf, start, line, n, chunk);
            n += chunk;
            if (pos < limit) {
                pos++; // the '\n'
                return trimCr(line, n);
            }
        }
    }

    /**
     * Whether a line with something other than blanks on it is buffered whole, so that reading
     * the next request line will not wait for input.
     */
    boolean hasBufferedLine() {
        boolean blank = true;
        for (int i = pos; i < limit; i++) {
            byte b = buf[i];
            if (b == '\n') {
                if (!blank) {
                    return true;
                }
            } else if (b != ' ' && b != '\t' && b != '\r') {
                blank = false;
            }
        }
        return false;
    }

    /** Direct access for the body decoder: refills when empty; false at end of input. */
    boolean ensure() throws IOException {
        return pos < limit || fill();
    }

    byte[] buffer() {
        return buf;
    }

    int position() {
        return pos;
    }

    int limit() {
        return limit;
    }

    void advanceTo(int newPos) {
        pos = newPos;
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            // -1 is the end; a stream returning 0 for a non-empty buffer is broken: the end too.
            eof = true;
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }

    private static byte[] trimCr(byte[] line, int n) {
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        return Arrays.copyOf(line, n);
    }
}
