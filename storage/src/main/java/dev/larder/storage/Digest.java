package dev.larder.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A 32-byte key of the store: an action id, or an output id (the SHA-256 of an output's bytes).
 *
 * <p>Immutable and thread-safe; equality is by content; {@link #toString()} is lowercase hex,
 * which is also the blob file name of an output.
 *
 * @param bytes the 32 bytes; a copy is taken and a copy is returned
 */
public record Digest(byte[] bytes) {
    /** The length of every digest in bytes. */
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    /** @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long */
    public Digest {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("digest: got "
                    + (bytes == null ? "null" : bytes.length + " bytes") + ", want " + LENGTH);
        }
        bytes = bytes.clone();
    }

    /** Parses 64 hex characters. */
    public static Digest fromHex(String hex) {
        if (hex.length() != 2 * LENGTH) {
            throw new IllegalArgumentException("digest: got " + hex.length() + " hex characters, want 64");
        }
        return new Digest(HEX.parseHex(hex));
    }

    /** The SHA-256 of the given bytes. */
    public static Digest sha256(byte[] content) {
        return new Digest(DigestUtils.sha256(content));
    }

    /**
     * The SHA-256 of a file's content, read as a stream (memory stays small whatever the size).
     *
     * @throws IOException if the file cannot be read
     */
    public static Digest sha256Of(Path file) throws IOException {
        // DigestUtils reads 1 KiB at a time: the buffer keeps the reads from the file large.
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            return new Digest(DigestUtils.sha256(in));
        }
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && Arrays.equals(bytes, d.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
