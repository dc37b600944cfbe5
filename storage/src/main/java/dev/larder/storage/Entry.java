package dev.larder.storage;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * What the store holds for one action: its output, and a local file with the output's bytes.
 *
 * @param output the output id, the SHA-256 of the file's content
 * @param size   the output's length in bytes
 * @param time   when the output was put
 * @param path   absolute path of a regular file holding exactly the output's bytes; it stays
 *               valid after the store is closed and after the process exits (callers such as
 *               {@code go list -export} hand such paths on), until the store is trimmed
 */
public record Entry(Digest output, long size, Instant time, Path path) {
    public Entry {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(path, "path");
        if (size < 0) {
            throw new IllegalArgumentException("entry size: got " + size + ", want >= 0");
        }
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("entry path: got relative " + path + ", want absolute");
        }
    }
}
