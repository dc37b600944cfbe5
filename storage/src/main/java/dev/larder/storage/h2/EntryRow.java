package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.StoredOutput;
import java.util.Optional;
import java.nio.file.Path;

/**
 * An action's row in the index ({@code entries}), joined with what its blob's row says: the
 * stat its bytes were last verified under. Immutable.
 *
 * @param output       the output id the action names
 * @param size         the output's size in bytes
 * @param putNanos     when the entry was put, nanoseconds since the epoch ({@link EpochNanos})
 * @param lastUseNanos when the entry was last used, nanoseconds since the epoch
 * @param verifiedStat the {@link BlobStat#key} the blob's bytes were last found right under;
 *                     null or empty if there is none
 * @param seal         the record's signed time and signature ({@link Seal}), or null if it came unsigned
 */
record EntryRow(Digest output, long size, long putNanos, long lastUseNanos, String verifiedStat, Seal seal) {
    /** This row with another last use and verified stat. */
    EntryRow with(long lastUse, String stat) {
        return new EntryRow(output, size, putNanos, lastUse, stat, seal);
    }

    /**
     * The entry this row describes, its output's file at {@code blob}: a sealed row's record is
     * the record as it was signed (its signed time and signature), any other's carries the put time.
     */
    Entry entry(Path blob) {
        StoredOutput record = seal == null ? new StoredOutput(output, size, EpochNanos.toInstant(putNanos))
                : new StoredOutput(output, size, seal.time(), Optional.of(seal.signature()));
        return new Entry(record, blob);
    }
}
