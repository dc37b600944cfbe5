package dev.larder.protocol;

/**
 * Names a build action: cmd/go's ActionID, the 32-byte hash of everything that goes into
 * one step (a compile, a link, a test run), or the tracer's hash of a process identity.
 *
 * <p>Immutable and thread-safe; equality is by content; {@link #toString()} is lowercase hex;
 * {@link #bytes()} returns a copy of the 32 bytes.
 */
public final class ActionId extends Digest32 {
    /** Length in bytes of every {@code ActionId}. */
    public static final int LENGTH = Digest32.LENGTH;

    /**
     * Wraps a copy of the given bytes.
     *
     * @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long
     */
    public ActionId(byte[] bytes) {
        super("ActionId", bytes);
    }

    /** Parses 64 hex characters; throws {@link IllegalArgumentException} otherwise. */
    public static ActionId fromHex(String hex) {
        return new ActionId(parseHex("ActionId", hex));
    }
}
