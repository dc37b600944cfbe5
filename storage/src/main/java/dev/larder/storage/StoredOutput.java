package dev.larder.storage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The record a tier keeps for one action: which output the action produced, how long it is, and
 * when it was stored, and the signature that vouches for all of it, if one was made. The bytes
 * themselves are fetched separately, by output id; an {@link Entry} is this record together with
 * a local file holding them.
 *
 * @param output    the output id, the SHA-256 of the body
 * @param size      the body's length in bytes
 * @param time      when it was stored, as the tier knows it; {@link Instant#EPOCH} if the tier
 *                  does not know (a remote record written without a time)
 * @param signature a signature over the action, output, size and time
 *                  ({@link RecordSignature#message}), if the writer signed the record
 */
public record StoredOutput(Digest output, long size, Instant time, Optional<RecordSignature> signature) {
    public StoredOutput {
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(signature, "signature");
        if (size < 0) {
            throw new IllegalArgumentException("stored output size: got " + size + ", want >= 0");
        }
    }

    /** An unsigned record. */
    public StoredOutput(Digest output, long size, Instant time) {
        this(output, size, time, Optional.empty());
    }

    /** This record with {@code s} as its signature. */
    public StoredOutput signed(RecordSignature s) {
        return new StoredOutput(output, size, time, Optional.of(s));
    }
}
