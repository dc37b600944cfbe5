package dev.larder.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * One request from cmd/go to a helper, as {@code cmdgo/internal/cacheprog.Request} encodes it.
 *
 * <p>{@code ID} and {@code BodySize} are read as strictly as Go writes an {@code int64} (a JSON
 * integer; {@code ID} present): {@code 1.9}, {@code "12"} or {@code null} do not decode.
 * Byte fields are raw, unvalidated wire values (base64 in JSON): a helper must still be able to
 * answer a request whose ids are malformed with an {@code Err} carrying its {@code ID}, so
 * validation happens in {@link #actionId()} and {@link #outputId()}, not while decoding. The body
 * of a {@code put} is never part of this record: {@link RequestReader} streams it separately.
 *
 * @param id          the request ID, unique within a session, from 1 (cmd/go counts its requests
 *                    from 1); 0 is reserved for the handshake; required on the wire
 * @param command     {@code get}, {@code put}, {@code close}, or a command this side does not know
 * @param rawActionId the action, for get and put
 * @param rawOutputId the output (SHA-256 of the body), for put; Go 1.24 and later
 * @param bodySize    the body's length in bytes, for put
 * @param rawObjectId the legacy name of {@code OutputID}, the only one Go 1.21 to 1.23 send
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Request(
        @JsonProperty(value = "ID", required = true) @JsonInclude(JsonInclude.Include.ALWAYS)
        @JsonDeserialize(using = Json.WireInt.class) long id,
        @JsonProperty("Command") String command,
        @JsonProperty("ActionID") byte[] rawActionId,
        @JsonProperty("OutputID") byte[] rawOutputId,
        @JsonProperty("BodySize") @JsonDeserialize(using = Json.WireInt.class) long bodySize,
        @JsonProperty("ObjectID") byte[] rawObjectId) {

    /** The {@code get} command: look an action up. */
    public static final String GET = "get";
    /** The {@code put} command: store an output for an action. */
    public static final String PUT = "put";
    /** The {@code close} command: finish and exit. */
    public static final String CLOSE = "close";

    /** A {@code get} for the given action. */
    public static Request get(long id, ActionId action) {
        return new Request(id, GET, action.bytes(), null, 0, null);
    }

    /**
     * A {@code put}; sets both {@code OutputID} and the legacy {@code ObjectID}, as cmd/go 1.24
     * does, so that helpers written for either generation understand it.
     */
    public static Request put(long id, ActionId action, OutputId output, long bodySize) {
        byte[] out = output.bytes();
        return new Request(id, PUT, action.bytes(), out, bodySize, out);
    }

    /** A {@code close}. */
    public static Request close(long id) {
        return new Request(id, CLOSE, null, null, 0, null);
    }

    /**
     * The validated action id.
     *
     * @throws IllegalArgumentException if {@code ActionID} is missing or not 32 bytes
     */
    @JsonIgnore
    public ActionId actionId() {
        return new ActionId(rawActionId);
    }

    /**
     * The validated output id: {@code OutputID}, or the legacy {@code ObjectID} when only that was
     * sent (Go 1.21 to 1.23).
     *
     * @throws IllegalArgumentException if both are missing, or the one given is not 32 bytes
     */
    @JsonIgnore
    public OutputId outputId() {
        byte[] raw = rawOutputId != null && rawOutputId.length > 0 ? rawOutputId : rawObjectId;
        return new OutputId(raw);
    }

    /** Whether a body line follows this request on the wire. */
    @JsonIgnore
    public boolean hasBody() {
        return PUT.equals(command) && bodySize > 0;
    }

    @Override
    public String toString() {
        return "Request[ID=" + id + ", Command=" + command
                + (rawActionId != null ? ", ActionID=" + Digest32.hex(rawActionId) : "")
                + (rawOutputId != null ? ", OutputID=" + Digest32.hex(rawOutputId) : "")
                + (rawObjectId != null && rawOutputId == null ? ", ObjectID=" + Digest32.hex(rawObjectId) : "")
                + (bodySize != 0 ? ", BodySize=" + bodySize : "") + "]";
    }
}
