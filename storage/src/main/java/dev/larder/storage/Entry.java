package dev.larder.storage;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * What a {@link Storage} hands out for one action: its {@link StoredOutput record}, and a local
 * file with the output's bytes.
 *
 * @param record what the store recorded for the action (output id, size, put time)
 * @param path   absolute path of a regular file holding exactly the output's bytes. It stays
 *               valid after the store is closed and after the process exits (callers such as
 *               {@code go list -export} hand such paths on) until the store drops it: a trim, a
 *               later put of the same action with another output, or a get (or a repair) that finds
 *               the file damaged, as {@link Storage} says in full
 */
public record Entry(StoredOutput record, Path path) {
    public Entry {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(path, "path");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("entry path: got relative " + path + ", want absolute");
        }
    }

    /** The entry of the record (output, size, time) with its file at {@code path}. */
    public Entry(Digest output, long size, Instant time, Path path) {
        this(new StoredOutput(output, size, time), path);
    }

    /** The output id, the SHA-256 of the file's content. */
    public Digest output() {
        return record.output();
    }

    /** The output's length in bytes. */
    public long size() {
        return record.size();
    }

    /** When the output was put. */
    public Instant time() {
        return record.time();
    }
}
