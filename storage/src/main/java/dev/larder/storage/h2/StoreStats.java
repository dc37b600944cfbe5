package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A summary of a local store.
 *
 * @param entries      actions with an output
 * @param blobs        distinct outputs the entries name
 * @param bytes        bytes of those outputs
 * @param unnamed      blobs no entry names: outputs a put replaced within the protected hour
 *                     (a {@code DiskPath} handed out may still be read) and uploads no record
 *                     names yet; a trim removes each once it has been unnamed for that hour
 * @param unnamedBytes bytes of those blobs; on disk, the store holds {@link #totalBytes()}
 * @param recent       totals over the most recent sessions
 * @param largest      the largest entries, largest first
 * @param lastTrim     the most recent trim, if any
 * @param tempFiles    files in {@code tmp/} (bodies being received, or left by a killed process)
 */
public record StoreStats(long entries, long blobs, long bytes, long unnamed, long unnamedBytes, Sessions recent,
        List<Large> largest, Optional<TrimResult> lastTrim, long tempFiles) {

    public StoreStats {
        largest = List.copyOf(largest);
    }

    /** Bytes of every blob: the outputs entries name and the unnamed ones; what a trim's size budget counts. */
    public long totalBytes() {
        return bytes + unnamedBytes;
    }

    /**
     * Totals of the most recent sessions.
     *
     * @param sessions how many sessions these are (at most {@link #WINDOW})
     * @param since    when the earliest of them ended, if any
     */
    public record Sessions(long sessions, Optional<Instant> since, long gets, long hits, long misses, long puts,
            long putBytes, long errors) {
        /** How many recent sessions the totals cover. */
        public static final int WINDOW = 100;

        /** hits / gets, or empty if there were no gets. */
        public Optional<Double> hitRate() {
            return gets == 0 ? Optional.empty() : Optional.of((double) hits / gets);
        }
    }

    /** One large entry: its action and output, size and last use. */
    public record Large(Digest action, Digest output, long size, Instant lastUse) {
    }
}
