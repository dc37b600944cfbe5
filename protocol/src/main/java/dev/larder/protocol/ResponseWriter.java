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
