package dev.larder.protocol;

import java.io.InputStream;

/**
 * Serves a byte array a few bytes per {@code read}, cycling through the given chunk sizes, so that
 * lines, quads and padding get split across every possible buffer refill.
 */
final class ChunkedInputStream extends InputStream {
    private final byte[] data;
    private final int[] chunks;
    private int pos;
    private int nextChunk;

    ChunkedInputStream(byte[] data, int... chunks) {
        this.data = data;
        this.chunks = chunks.length == 0 ? new int[] {Integer.MAX_VALUE} : chunks.clone();
    }

    @Override
    public int read() {
        return pos < data.length ? data[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (pos == data.length) {
            return -1;
        }
        int chunk = chunks[nextChunk++ % chunks.length];
        int n = Math.min(Math.min(len, chunk), data.length - pos);
        System.arraycopy(data, pos, b, off, n);
        pos += n;
        return n;
    }
}
