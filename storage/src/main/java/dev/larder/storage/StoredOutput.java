package dev.larder.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * The record a tier keeps for one action: which output the action produced, how long it is, and
 * when it was stored. The bytes themselves are fetched separately, by output id; an
 * {@link Entry} is this record together with a local file holding them.
 *
 * @param output the output id, the SHA-256 of the body
 * @param size   the body's length in bytes
 * @param time   when it was stored, as the tier knows it; {@link Instant#EPOCH} if the tier does
 *               not know (a remote record written without a time)
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
