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
 * must be read to its end or closed (possibly on another thread) before {@link #next()} is called
 * again: {@link PutBody#awaitLineRead()} waits for that.
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

    /**
     * A request and, for a put with a body, the body that follows it on the wire.
     *
     * @param request the request; when {@code invalid} is set, only its ID, command and body size
     *                are known
     * @param body    the body that follows on the wire, or null
     * @param invalid why a well-framed request could not be decoded (a field of the wrong type,
     *                such as an ActionID that is not base64), to be answered with {@code Err};
     *                null for a good request
     */
    public record Incoming(Request request, PutBody body, String invalid) {
    }

    /**
     * Reads the next request, skipping blank lines.
     *
     * @return the request, or null at end of input between requests
     * @throws ProtocolException if the input cannot be framed (broken JSON, an over-long line)
     * @throws IllegalStateException if the previous request's body was neither read to its end nor closed
     */
    public Incoming next() throws IOException {
        if (open != null) {
            if (!isLineRead(open)) {
                throw new IllegalStateException("the previous put body was neither read to its end nor closed");
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
        String invalid = null;
        try {
            request = Json.MAPPER.readValue(line, Request.class);
        } catch (JacksonException e) {
            request = salvage(line);
            if (request == null) {
                throw new ProtocolException("line " + lineNumber + ": not a JSON request ("
                        + e.getOriginalMessage() + "): " + excerpt(line), e);
            }
            invalid = "malformed request: " + e.getOriginalMessage();
        }
        if (request == null) {
            throw new ProtocolException("line " + lineNumber + ": got null, want a JSON object");
        }
        if (!request.hasBody()) {
            return new Incoming(request, null, invalid);
        }
        open = new PutBody(in, request.bodySize());
        lineNumber += 2; // the blank line and the body line
        return new Incoming(request, open, invalid);
    }

    /**
     * Whether the next {@link #next()} will find a request line already received, so that it
     * will not wait for input (a false answer only means it may).
     */
    public boolean hasBufferedRequest() {
        return in.hasBufferedLine();
    }

    /**
     * For a line that is a JSON object with an integer ID but fields of the wrong type: the ID,
     * command and body size, so that the request can be answered with Err and its body (if any)
     * skipped. Null when the line is not such an object: then it cannot be framed.
     */
    private static Request salvage(byte[] line) {
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = Json.MAPPER.readTree(line);
        } catch (IOException e) {
            return null;
        }
        if (n == null || !n.isObject() || !n.path("ID").canConvertToExactIntegral()
                || !n.path("ID").canConvertToLong()) {
            return null;
        }
        com.fasterxml.jackson.databind.JsonNode size = n.path("BodySize");
        long bodySize = size.canConvertToExactIntegral() && size.canConvertToLong() ? size.asLong() : 0;
        String command = n.path("Command").isTextual() ? n.path("Command").asText() : null;
        if (bodySize > 0 && !Request.PUT.equals(command)) {
            bodySize = 0;
        }
        return new Request(n.path("ID").asLong(), command, null, null, bodySize, null);
    }

    private static boolean isLineRead(PutBody body) {
        try {
            // Counted down last, by the end of the line or by close(): a zero-wait check tells.
            return body.awaitLineReadFor(0);
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
