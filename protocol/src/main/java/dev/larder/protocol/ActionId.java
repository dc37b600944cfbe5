package dev.larder.protocol;

import java.util.Arrays;

/**
 * Names a build action: cmd/go's ActionID, the 32-byte hash of everything that goes into
 * one step (a compile, a link, a test run), or the tracer's hash of a process identity.
 *
 * <p>Immutable and thread-safe; equality is by content; {@link #toString()} is lowercase hex.
 *
 * @param bytes the 32 digest bytes; never exposed for mutation
 */
public record ActionId(byte[] bytes) {
    /** Length in bytes of every {@code ActionId}. */
    public static final int LENGTH = Digest32.LENGTH;

    /**
     * Wraps a copy of the given bytes.
     *
     * @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long
     */
    public ActionId {
        bytes = Digest32.copyChecked("ActionId", bytes);
    }

    /** Parses 64 hex characters; throws {@link IllegalArgumentException} otherwise. */
    public static ActionId fromHex(String hex) {
        return new ActionId(Digest32.parseHex("ActionId", hex));
    }

    /** Returns a copy of the 32 bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActionId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Digest32.hash(bytes);
    }

    /** Lowercase hex, 64 characters. */
    @Override
    public String toString() {
        return Digest32.hex(bytes);
    }
}
