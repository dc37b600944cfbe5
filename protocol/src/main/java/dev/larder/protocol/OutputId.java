package dev.larder.protocol;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Names an output by its content: the SHA-256 of the bytes stored for an action, as cmd/go
 * computes it for every {@code put}.
 *
 * <p>Immutable and thread-safe; equality is by content; {@link #toString()} is lowercase hex;
 * {@link #bytes()} returns a copy of the 32 bytes.
 */
public final class OutputId extends Digest32 {
    /** Length in bytes of every {@code OutputId}. */
    public static final int LENGTH = Digest32.LENGTH;

    /**
     * Wraps a copy of the given bytes.
     *
     * @throws IllegalArgumentException if {@code bytes} is null or not 32 bytes long
     */
    public OutputId(byte[] bytes) {
        super("OutputId", bytes);
    }

    /** Parses 64 hex characters; throws {@link IllegalArgumentException} otherwise. */
    public static OutputId fromHex(String hex) {
        return new OutputId(parseHex("OutputId", hex));
    }

    /** The id of {@code content}: its SHA-256. */
    public static OutputId of(byte[] content) {
        return new OutputId(DigestUtils.sha256(content));
    }

    /**
     * The id of a file's content: its SHA-256, read once in large reads (symlinks followed). The
     * one place larder's protocol clients hash a file.
     *
     * @throws IOException if the file cannot be read
     */
    public static OutputId of(Path file) throws IOException {
        // DigestUtils reads 1 KiB at a time: the buffer keeps the reads from the file large.
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            return new OutputId(DigestUtils.sha256(in));
        }
    }
}
