package dev.larder.protocol;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes responses, one JSON object per line, each flushed at once.
 *
 * <p>Thread-safe: concurrent {@link #write} calls are serialized, so lines never interleave.
 * It must be the only writer of its stream; for a helper that stream is stdout.
 */
public final class ResponseWriter implements Closeable {
    private final OutputStream out;

    public ResponseWriter(OutputStream out) {
        this.out = out;
    }

    /** Writes one response line and flushes it. */
    public void write(Response response) throws IOException {
        byte[] json = Json.MAPPER.writeValueAsBytes(response);
        synchronized (this) {
            out.write(json);
            out.write('\n');
            out.flush();
        }
    }

    /** Flushes and closes the stream, which tells the reader no more responses will come. */
    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
