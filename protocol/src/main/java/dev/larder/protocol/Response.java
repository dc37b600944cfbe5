package dev.larder.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * One response from a helper to cmd/go, as {@code cmd/go/internal/cacheprog.Response} encodes
 * it; empty fields are omitted, as Go's {@code omitempty} does.
 *
 * @param id            the ID of the request answered; 0 for the handshake
 * @param err           a non-empty error message if the request failed
 * @param knownCommands in the handshake only: the commands this helper accepts
 * @param miss          for get: the action is not cached
 * @param rawOutputId   for get hits and puts: the output's id
 * @param size          for get hits and puts: the output's size in bytes
 * @param time          for get hits: when the output was stored (RFC 3339 with nanoseconds)
 * @param diskPath      for get hits and puts: absolute path of a local file holding the output
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Response(
        @JsonProperty("ID") @JsonInclude(JsonInclude.Include.ALWAYS) long id,
        @JsonProperty("Err") String err,
        @JsonProperty("KnownCommands") List<String> knownCommands,
        @JsonProperty("Miss") boolean miss,
        @JsonProperty("OutputID") byte[] rawOutputId,
        @JsonProperty("Size") long size,
        @JsonProperty("Time") Instant time,
        @JsonProperty("DiskPath") String diskPath) {

    public Response {
        knownCommands = knownCommands == null ? null : List.copyOf(knownCommands);
    }

    /** The unsolicited first message, ID 0, naming the commands the helper accepts. */
    public static Response handshake(List<String> knownCommands) {
        return new Response(0, null, knownCommands, false, null, 0, null, null);
    }

    /** A miss for a get. */
    public static Response miss(long id) {
        return new Response(id, null, null, true, null, 0, null, null);
    }

    /** A get hit, or the answer to a put. */
    public static Response found(long id, OutputId output, long size, Instant time, String diskPath) {
        return new Response(id, null, null, false, output.bytes(), size, time, diskPath);
    }

    /** A failure of one request; the session goes on. */
    public static Response error(long id, String message) {
        return new Response(id, message, null, false, null, 0, null, null);
    }

    /** The answer to close. */
    public static Response closed(long id) {
        return new Response(id, null, null, false, null, 0, null, null);
    }

    /** Whether this response carries an error. */
    @JsonIgnore
    public boolean isError() {
        return err != null && !err.isEmpty();
    }

    /**
     * The validated output id of a hit or put.
     *
     * @throws IllegalArgumentException if {@code OutputID} is missing or not 32 bytes
     */
    @JsonIgnore
    public OutputId outputId() {
        return new OutputId(rawOutputId);
    }

    @Override
    public String toString() {
        return "Response[ID=" + id
                + (err != null ? ", Err=" + err : "")
                + (knownCommands != null ? ", KnownCommands=" + knownCommands : "")
                + (miss ? ", Miss=true" : "")
                + (rawOutputId != null ? ", OutputID=" + hexOrLength(rawOutputId) : "")
                + (size != 0 ? ", Size=" + size : "")
                + (time != null ? ", Time=" + time : "")
                + (diskPath != null ? ", DiskPath=" + diskPath : "") + "]";
    }

    private static String hexOrLength(byte[] b) {
        return b.length == Digest32.LENGTH ? Digest32.hex(b) : "<" + b.length + " bytes>";
    }
}
