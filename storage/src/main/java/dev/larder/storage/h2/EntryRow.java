package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
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
 */
record EntryRow(Digest output, long size, long putNanos, long lastUseNanos, String verifiedStat) {
    /** This row with another last use and verified stat. */
    EntryRow with(long lastUse, String stat) {
        return new EntryRow(output, size, putNanos, lastUse, stat);
    }

    /** The entry this row describes, its output's file at {@code blob}. */
    Entry entry(Path blob) {
        return new Entry(output, size, EpochNanos.toInstant(putNanos), blob);
    }
}
