package dev.larder.protocol;

import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads requests from cmd/go, one at a time, on the helper's side of the protocol.
 *
 * <p>Not thread-safe: one thread calls {@link #next()}. When a request {@linkplain
 * Request#hasBody() has a body}, {@link #next()} returns it together with a {@link PutBody} that
 * must be closed (possibly on another thread) before {@link #next()} is called again.
 */
public final class RequestReader {
    /** Longest request line accepted; cmd/go's lines are a few hundred bytes. */
    public static final int MAX_LINE = 1 << 20;

    private final WireInput in;
    private long lineNumber;
    private PutBody open;

    public RequestReader(InputStream in) {
        this.in = new WireInput(in);
    }

    /** A request and, for a put with a body, the body that follows it on the wire. */
    public record Incoming(Request request, PutBody body) {
    }

    /**
     * Reads the next request, skipping blank lines.
     *
     * @return the request, or null at end of input between requests
     * @throws ProtocolException if the input cannot be framed (broken JSON, an over-long line)
     * @throws IllegalStateException if the previous request's body was not closed
     */
    public Incoming next() throws IOException {
        if (open != null) {
            if (!isClosed(open)) {
                throw new IllegalStateException("the previous put body was not closed");
            }
            ProtocolException bodyFailure = open.failure();
            open = null;
            if (bodyFailure != null) {
                throw bodyFailure;
            }
        }
        byte[] line;
        do {
            line = in.readLine(MAX_LINE);
            lineNumber++;
            if (line == null) {
                return null;
            }
        } while (isBlank(line));
        Request request;
        try {
            request = Json.MAPPER.readValue(line, Request.class);
        } catch (JacksonException e) {
            throw new ProtocolException("line " + lineNumber + ": not a JSON request ("
                    + e.getOriginalMessage() + "): " + excerpt(line), e);
        }
        if (request == null) {
            throw new ProtocolException("line " + lineNumber + ": got null, want a JSON object");
        }
        if (!request.hasBody()) {
            return new Incoming(request, null);
        }
        open = new PutBody(in, request.bodySize());
        lineNumber += 2; // the blank line and the body line
        return new Incoming(request, open);
    }

    private static boolean isClosed(PutBody body) {
        try {
            // close() counts the latch down last; a zero-wait check tells whether it ran.
            return body.awaitClosedFor(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String excerpt(byte[] line) {
        String s = new String(line, 0, Math.min(line.length, 120), StandardCharsets.UTF_8);
        return line.length > 120 ? s + "..." : s;
    }
}
