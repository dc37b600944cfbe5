package dev.larder.cli;

import java.io.InputStream;

/** A reproducible stream of pseudo-random bytes (xorshift), so a huge body needs no memory. */
final class PatternStream extends InputStream {
    private long state;
    private long remaining;

    PatternStream(long seed, long length) {
        this.state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
        this.remaining = length;
    }

    @Override
    public int read() {
        byte[] b = new byte[1];
        return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (remaining == 0) {
            return -1;
        }
        int n = (int) Math.min(len, remaining);
        for (int i = 0; i < n; i++) {
            state ^= state << 13;
            state ^= state >>> 7;
            state ^= state << 17;
            b[off + i] = (byte) state;
        }
        remaining -= n;
        return n;
    }
}
