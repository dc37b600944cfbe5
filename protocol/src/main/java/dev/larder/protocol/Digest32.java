package dev.larder.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * What {@link ActionId} and {@link OutputId} share: 32 immutable bytes, content equality within
 * one kind (an action id never equals an output id with the same bytes), lowercase hex
 * {@link #toString()}; and the checks and formatting of raw 32-byte wire values.
 */
abstract sealed class Digest32 permits ActionId, OutputId {
    static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    /**
     * Keeps a copy of {@code bytes}.
     *
     * @param kind names the id type in the message of a wrong length
     * @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long
     */
    Digest32(String kind, byte[] bytes) {
        this.bytes = copyChecked(kind, bytes);
    }

    /** Returns a copy of the 32 bytes. */
    public final byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && Arrays.equals(bytes, ((Digest32) o).bytes);
    }

    @Override
    public final int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Lowercase hex, 64 characters. */
    @Override
    public final String toString() {
        return hex(bytes);
    }

    static byte[] copyChecked(String what, byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException(what + ": missing, want " + LENGTH + " bytes");
        }
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException(
                    what + ": got " + bytes.length + " bytes, want " + LENGTH);
        }
        return bytes.clone();
    }

    static byte[] parseHex(String what, String hex) {
        if (hex == null || hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException(
                    what + ": got " + (hex == null ? "null" : hex.length() + " characters")
                            + ", want " + 2 * LENGTH + " hex characters");
        }
        try {
            return HEX.parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": not hex: " + hex, e);
        }
    }

    static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
