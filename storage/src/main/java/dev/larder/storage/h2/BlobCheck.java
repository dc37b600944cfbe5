package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Whether one store's blobs may be served: a blob is served if it has the indexed size and
 * either its stat is the one recorded when it was last found right, or it hashes to its name
 * now. A blob that vanished, changed length or no longer hashes to its name is dropped with every
 * entry naming it. Also hashes fresh blobs in the background once their stat has settled.
 * Thread-safe.
 */
final class BlobCheck {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** Runs the background verification of fresh blobs; one daemon thread per process. */
    private static final ScheduledExecutorService SETTLER = Executors.newSingleThreadScheduledExecutor(r -> {
        // Serves every session of a process, so it inherits no thread-locals (a daemon session's
        // binding would send its log lines to whichever session happened to start it).
        Thread t = new Thread(null, r, "larder-blob-settler", 0, false);
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    /** A little past {@link BlobStat#SETTLED}, and past {@link BlobStat#SETTLED_COARSE}. */
    private static final long[] SETTLE_DELAYS_MILLIS = {
        BlobStat.SETTLED.toMillis() + 50, BlobStat.SETTLED_COARSE.toMillis() + 100};

    private final Index index;
    private final BlobFiles files;
    private final BlobLocks locks;
    private final HotRows hot;

    /** Checks the blobs in {@code files}, recording in {@code index}; a drop forgets {@code hot}'s rows. */
    BlobCheck(Index index, BlobFiles files, BlobLocks locks, HotRows hot) {
        this.index = index;
        this.files = files;
        this.locks = locks;
        this.hot = hot;
    }

    /**
     * What a look at a blob found.
     *
     * @param problem what is wrong; null if the blob has the indexed size and its stat is the
     *                verified one or its bytes hash to its name
     * @param stat    the stat it was judged under; null if the file is missing
     * @param detail  the problem in words, as a {@link VerifyResult.Problem} says it; empty if none
     */
    record Finding(VerifyResult.Kind problem, BlobStat stat, String detail) {
        /** The key of the stat the blob was judged under; null if it was missing. */
        String statKey() {
            return stat == null ? null : stat.key();
        }
    }

    /**
     * Looks at {@code output}'s blob, the one rule gets and verify judge a blob by: it must have
     * {@code size} bytes, and, unless its stat is {@code verifiedStat}, hash to its name.
     *
     * @param verifiedStat the stat key recorded when the blob was last found right; null or
     *                     empty for none (then it is hashed)
     * @return what was found; null if the file vanished while it was hashed (a trim, a repair)
     */
    Finding inspect(Path blob, Digest output, long size, String verifiedStat) throws IOException {
        BlobStat stat = files.stat(blob);
        if (stat == null) {
            return new Finding(VerifyResult.Kind.MISSING_BLOB, null, "no such file");
        }
        if (stat.size() != size) {
            return new Finding(VerifyResult.Kind.WRONG_SIZE, stat, stat.size() + " bytes, indexed as " + size);
        }
        if (stat.key().equals(verifiedStat)) {
            return new Finding(null, stat, "");
        }
        Digest actual;
        try {
            actual = Digest.sha256Of(blob);
        } catch (NoSuchFileException gone) {
            return null;
        }
        if (!actual.equals(output)) {
            return new Finding(VerifyResult.Kind.WRONG_HASH, stat, "its sha256 is " + actual);
        }
        return new Finding(null, stat, "");
    }

    /** Whether {@code output}'s blob may be served (see the class doc); drops it if not. */
    boolean isServable(Digest output, long size, String verifiedStat) throws IOException {
        return servable(output, size, verifiedStat) != null;
    }

    /**
     * As {@link #isServable}: null if not servable, else the stat key its bytes are now known to
     * match (empty if the file is too fresh for its stat to be trusted later).
     *
     * @param verifiedStat the stat key recorded when the blob was last found right; null or
     *                     empty for none (then it is hashed)
     */
    String servable(Digest output, long size, String verifiedStat) throws IOException {
        Path blob = files.blobPath(output);
        Finding f = inspect(blob, output, size, verifiedStat);
        if (f == null) {
            return null; // removed while we looked: a miss
        }
        if (f.problem() != null) {
            boolean damaged = f.problem() == VerifyResult.Kind.WRONG_HASH;
            LOG.log(System.Logger.Level.WARNING, () -> "blob " + blob + (damaged ? " is damaged (" + f.detail()
                    + "): dropping it and its entries" : ": " + f.detail() + ": dropping its entries"));
            drop(output, size, f.statKey(), damaged);
            return null;
        }
        if (f.stat().key().equals(verifiedStat)) {
            return verifiedStat;
        }
        return recordIfSettled(blob, output, size, f.stat()) ? f.stat().key() : "";
    }

    /**
     * Records that {@code blob}, just hashed and found right under {@code stat}, may be trusted
     * while its stat stays so: if that stat had settled and the file has not changed since.
     *
     * @return whether it was recorded
     */
    boolean recordIfSettled(Path blob, Digest output, long size, BlobStat stat) throws IOException {
        if (!stat.settled()) {
            return false;
        }
        BlobStat after = files.stat(blob);
        if (after == null || !after.key().equals(stat.key())) {
            return false;
        }
        index.withDb("index update of blob " + output, c -> {
            IndexRows.recordVerified(c, output, size, stat.key());
            return null;
        });
        return true;
    }

    /**
     * Forgets every entry naming {@code output} and the record of its blob, and with
     * {@code deleteFile} deletes the (damaged) blob file, unless the file changed since it was
     * judged ({@code judgedStat}, null for missing): a put may have replaced it with good bytes
     * meanwhile. Forgets the recent hits.
     */
    void drop(Digest output, long size, String judgedStat, boolean deleteFile) throws IOException {
        hot.clear();
        index.withDb("index delete of output " + output,
                c -> Index.inTransaction(c, () -> locks.drop(c, output, size, judgedStat, deleteFile)));
    }

    /**
     * Hashes a blob just put once its stat has settled, in the background, and records the stat
     * it was found right under, as a get would at the blob's first use: so that the first build
     * that reads it (a fresh CI machine after the store was filled, the next build of a daemon's
     * user) only compares the stat. The put's own hash does not count: a write in the same clock
     * tick as the rename would leave the same stat (git's "racily clean" entries), so only a hash
     * taken after the file settled is trusted, exactly as on the get path. Best effort: a store
     * closed, a process that exits first, or a failure leave the blob to be hashed at its first
     * get.
     */
    void verifySoon(Digest output, long size) {
        verifySoon(output, size, 0);
    }

    private void verifySoon(Digest output, long size, int attempt) {
        if (attempt >= SETTLE_DELAYS_MILLIS.length) {
            return;
        }
        try {
            SETTLER.schedule(() -> {
                if (index.closed()) {
                    return;
                }
                BlobStat stat = files.stat(files.blobPath(output));
                if (stat == null || stat.size() != size) {
                    return; // gone or replaced: its next get judges it
                }
                if (!stat.settled()) {
                    verifySoon(output, size, attempt + 1);
                    return;
                }
                try {
                    servable(output, size, null);
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "background check of " + files.blobPath(output) + ": "
                            + e.getMessage());
                }
            }, SETTLE_DELAYS_MILLIS[attempt], TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down: the first get hashes it
        }
    }
}
