package dev.larder.storage.h2;

import java.time.Instant;

/**
 * What a trim did (or, for a dry run, would do).
 *
 * @param at             when it ran
 * @param entriesRemoved entries removed
 * @param blobsRemoved   blob files removed (no entry named them any more: the last entry naming
 *                       them went, or they had been unnamed for the protected hour)
 * @param bytesRemoved   bytes of those blobs
 * @param entriesLeft    entries left
 * @param bytesLeft      bytes of the blobs left: the outputs entries name, and unnamed blobs still
 *                       within their protected hour ({@link StoreStats#unnamed})
 * @param withinBudget   whether the size budget (if any) holds afterwards; false when entries
 *                       used within the protected hour keep the store over it
 * @param dryRun         whether nothing was actually removed
 */
public record TrimResult(Instant at, long entriesRemoved, long blobsRemoved, long bytesRemoved, long entriesLeft,
        long bytesLeft, boolean withinBudget, boolean dryRun) {
}
