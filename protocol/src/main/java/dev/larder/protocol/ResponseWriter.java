package dev.larder.protocol;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes responses, one JSON object per line. A line is flushed by the time the last of the
 * {@link #write} calls running at once returns: a response is never left unflushed once no write
 * is in progress.
 *
 * <p>Thread-safe: concurrent {@link #write} calls are serialized, so lines never interleave.
 * It must be the only writer of its stream; for a helper that stream is stdout.
 */
public final class ResponseWriter implements Closeable {
    private final OutputStream out;
    /** Writes begun and not yet written: while another follows, a flush would be premature. */
    private final AtomicInteger writing = new AtomicInteger();

    public ResponseWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Writes one response line; flushes it unless another write has begun meanwhile, which then
     * flushes both. With many requests in flight, replies that are ready together leave in one
     * write to the stream (one system call and, through the daemon, one frame) instead of one each.
     */
    public void write(Response response) throws IOException {
        byte[] json = Json.MAPPER.writeValueAsBytes(response);
        writing.incrementAndGet();
        synchronized (this) {
            try {
                out.write(json);
                out.write('\n');
            } finally {
                // Decremented under the lock, once the line is written: a write that has begun
                // and not yet written its line decrements after us, and flushes ours with its own.
                if (writing.decrementAndGet() == 0) {
                    out.flush();
                }
            }
        }
    }

    /**
     * Writes one response line and leaves it unflushed: the caller {@link #flush flushes} before
     * it waits for anything (a concurrent {@link #write} may flush it sooner). For a thread that
     * answers several requests in a row, so that their replies leave in one write.
     */
    public void writeHeld(Response response) throws IOException {
        byte[] json = Json.MAPPER.writeValueAsBytes(response);
        synchronized (this) {
            out.write(json);
            out.write('\n');
        }
    }

    /** Flushes the lines written so far. */
    public synchronized void flush() throws IOException {
        out.flush();
    }

    /**
     * Writes the handshake, {@code {"ID":0,"KnownCommands":[...]}}, and flushes it. Formats the
     * line by hand, so that a helper's first line does not wait for the JSON library to load
     * (cmd/go sends nothing before it arrives).
     *
     * @throws IllegalArgumentException if a command is not a lowercase word
     */
    public void writeHandshake(java.util.List<String> knownCommands) throws IOException {
        // An empty list is omitted, as Go's omitempty does.
        StringBuilder line = new StringBuilder(knownCommands.isEmpty() ? "{\"ID\":0" : "{\"ID\":0,\"KnownCommands\":[");
        for (int i = 0; i < knownCommands.size(); i++) {
            String c = knownCommands.get(i);
            if (!c.matches("[a-z][a-z0-9_-]*")) {
                throw new IllegalArgumentException("command name: got \"" + c + "\", want a lowercase word");
            }
            line.append(i == 0 ? "\"" : ",\"").append(c).append('"');
        }
        line.append(knownCommands.isEmpty() ? "}\n" : "]}\n");
        byte[] bytes = line.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        synchronized (this) {
            out.write(bytes);
            out.flush();
        }
    }

    /** Flushes and closes the stream, which tells the reader no more responses will come. */
    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
