package dev.larder.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
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
     *                such as an ActionID that is not base64, or a negative BodySize), to be
     *                answered with {@code Err} under its ID; null for a good request
     */
    public record Incoming(Request request, PutBody body, String invalid) {
    }

    /**
     * Reads the next request, skipping blank lines.
     *
     * <p>Only what cmd/go sends is accepted ({@code cmd/go/internal/cacheprog.Request}: an
     * {@code int64} ID counted from 1, a string command, an {@code int64} body size). A request
     * whose ID is missing, not a JSON integer ({@code 1.9}, {@code 1e3}, {@code "12"}, null) or
     * below 1 cannot be answered, since a reply must carry its ID and 0 is the handshake's, and one
     * whose {@code BodySize} is not a JSON integer cannot be framed: both throw. A request with a
     * good ID but other fields of the wrong type (a command that is not a string, an ActionID that
     * is not base64, a negative BodySize) comes back {@linkplain Incoming#invalid() invalid}.
     *
     * @return the request, or null at end of input between requests
     * @throws ProtocolException if the input cannot be framed (broken JSON, an over-long line, an
     *                           ID or BodySize cmd/go would never send)
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
            JsonNode tree = tree(line);
            if (tree == null || !tree.isObject()) {
                throw new ProtocolException("line " + lineNumber + ": not a JSON request ("
                        + e.getOriginalMessage() + "): " + excerpt(line), e);
            }
            String unframed = unframed(tree);
            if (unframed != null) {
                throw new ProtocolException("line " + lineNumber + ": " + unframed + ": " + excerpt(line), e);
            }
            request = salvage(tree);
            invalid = "malformed request: " + e.getOriginalMessage();
        }
        if (request == null) {
            throw new ProtocolException("line " + lineNumber + ": got null, want a JSON object");
        }
        String badId = badId(request.id());
        if (badId != null) {
            throw new ProtocolException("line " + lineNumber + ": " + badId + ": " + excerpt(line));
        }
        if (invalid == null && request.bodySize() < 0) {
            // Framed all the same: cmd/go writes a body line only when BodySize is positive.
            invalid = "BodySize: got " + request.bodySize() + ", want 0 or more";
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

    /** The line as a JSON tree; null if it is not JSON (or only {@code null}). */
    private static JsonNode tree(byte[] line) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Why a request object cannot be answered or skipped, or null if it can: without a usable
     * {@code ID} a reply cannot name it (cmd/go fails the build on a reply to an ID it did not
     * send), and without an integer {@code BodySize} nothing says whether a body line follows.
     */
    private static String unframed(JsonNode request) {
        JsonNode id = request.get("ID");
        if (id == null || id.isNull()) {
            return "no ID; cmd/go numbers every request, from 1";
        }
        if (!id.isIntegralNumber() || !id.canConvertToLong()) {
            return "ID: got " + id + ", want an integer (cmd/go sends an int64, from 1)";
        }
        String badId = badId(id.asLong());
        if (badId != null) {
            return badId;
        }
        JsonNode size = request.get("BodySize");
        if (size != null && (!size.isIntegralNumber() || !size.canConvertToLong())) {
            return "BodySize: got " + size + ", want an integer";
        }
        return null;
    }

    /** Why {@code id} is not one cmd/go sends, or null if it is: cmd/go numbers requests from 1. */
    private static String badId(long id) {
        if (id >= 1) {
            return null;
        }
        return "ID: got " + id + ", want 1 or more" + (id == 0 ? " (0 is the handshake's)" : "");
    }

    /**
     * For a request object with a good ID and framing ({@link #unframed} said nothing) but
     * fields of the wrong type: the ID, command and body size, so that the request can be
     * answered with Err and its body (if any) skipped.
     */
    private static Request salvage(JsonNode n) {
        long bodySize = n.path("BodySize").asLong();
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
