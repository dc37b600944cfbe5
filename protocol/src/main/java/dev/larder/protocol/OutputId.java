package dev.larder.protocol;

import java.util.Arrays;

/**
 * Names an output by its content: the SHA-256 of the bytes stored for an action, as cmd/go
 * computes it for every {@code put}.
 *
 * <p>Immutable and thread-safe; equality is by content; {@link #toString()} is lowercase hex.
 *
 * @param bytes the 32 digest bytes; never exposed for mutation
 */
public record OutputId(byte[] bytes) {
    /** Length in bytes of every {@code OutputId}. */
    public static final int LENGTH = Digest32.LENGTH;

    /**
     * Wraps a copy of the given bytes.
     *
     * @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long
     */
    public OutputId {
        bytes = Digest32.copyChecked("OutputId", bytes);
    }

    /** Parses 64 hex characters; throws {@link IllegalArgumentException} otherwise. */
    public static OutputId fromHex(String hex) {
        return new OutputId(Digest32.parseHex("OutputId", hex));
    }

    /** Returns a copy of the 32 bytes. */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutputId other && Arrays.equals(bytes, other.bytes);
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
