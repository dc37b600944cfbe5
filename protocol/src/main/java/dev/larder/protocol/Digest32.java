package dev.larder.protocol;

import java.util.Arrays;
import java.util.HexFormat;

/** Checks and formats the 32-byte digests that name actions and outputs. */
final class Digest32 {
    static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private Digest32() {
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

    static int hash(byte[] bytes) {
        return Arrays.hashCode(bytes);
    }
}
