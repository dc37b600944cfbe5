package dev.larder.storage;

import java.io.InputStream;
import java.util.Random;

/**
 * A reproducible body of any length that needs only 1 MiB of memory: each MiB is the same
 * pseudo-random block, rotated by a different amount, so no two MiB are alike.
 */
final class GeneratedBody extends InputStream {
    private static final int BLOCK = 1 << 20;
    private static final int ROTATION = 4099;

    private final byte[] block = new byte[BLOCK];
    private final long length;
    private long pos;

    GeneratedBody(long seed, long length) {
        new Random(seed).nextBytes(block);
        this.length = length;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (pos == length) {
            return -1;
        }
        int n = (int) Math.min(len, length - pos);
        int done = 0;
        while (done < n) {
            long blockIndex = pos / BLOCK;
            int inBlock = (int) (pos % BLOCK);
            int src = (int) ((inBlock + blockIndex * ROTATION) % BLOCK);
            int run = Math.min(n - done, Math.min(BLOCK - inBlock, BLOCK - src));
            System.arraycopy(block, src, b, off + done, run);
            done += run;
            pos += run;
        }
        return n;
    }
}
