package dev.larder.conformance;

import dev.larder.protocol.OutputId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A body of any size generated on the fly, so that large bodies are never held in memory:
 * numbered ASCII lines, the same bytes for the same size and seed, every time it is opened.
 */
final class PatternBody {
    private final long size;
    private final String seed;

    PatternBody(long size, String seed) {
        this.size = size;
        this.seed = seed;
    }

    long size() {
        return size;
    }

    /** A fresh stream of the body's bytes. */
    InputStream open() {
        return new InputStream() {
            private long line;
            private byte[] current = new byte[0];
            private int pos;
            private long left = size;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left == 0) {
                    return -1;
                }
                int n = 0;
                while (n < len && left > 0) {
                    if (pos == current.length) {
                        current = String.format("larder conformance %s line %010d%n", seed, ++line)
                                .getBytes(StandardCharsets.US_ASCII);
                        pos = 0;
                    }
                    int k = (int) Math.min(Math.min(len - n, current.length - pos), left);
                    System.arraycopy(current, pos, b, off + n, k);
                    pos += k;
                    n += k;
                    left -= k;
                }
                return n;
            }
        };
    }

    /** The body's output id (its SHA-256), computed by reading it once. */
    OutputId outputId() throws java.io.IOException {
        try (InputStream in = open()) {
            return new OutputId(DigestUtils.sha256(in));
        }
    }

    static String describe(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
