package dev.larder.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * What a backend records for one action: which output it produced, how long it is, and when it
 * was stored. The bytes themselves are fetched separately, by output id.
 *
 * @param output the output id, the SHA-256 of the body
 * @param size   the body's length in bytes
 * @param time   when it was stored, as the backend knows it
 */
public record StoredOutput(Digest output, long size, Instant time) {
    public StoredOutput {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(time, "time");
        if (size < 0) {
            throw new IllegalArgumentException("stored output size: got " + size + ", want >= 0");
        }
    }
}
