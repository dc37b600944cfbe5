package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The local store with its upkeep: trimming to a budget, statistics, and verifying every blob.
 * Thread-safe, like {@link Storage}; any number of processes may open the same directory and run
 * upkeep while others serve gets and puts.
 */
public interface LocalStore extends Storage {
    /** The store's directory (absolute). */
    Path root();

    /**
     * Removes least-recently-used entries until the policy holds, never an entry used within
     * {@link TrimPolicy#PROTECTED} (cmd/go may still be reading its file); a blob goes only
     * when no entry names it any more. Records the result, which {@link #stats} reports.
     */
    TrimResult trim(TrimPolicy policy) throws IOException;

    /**
     * Stores a body by its own id, with no action naming it yet (a content-addressed upload),
     * verified as a put's body is.
     *
     * @return the blob's file
     * @throws dev.larder.storage.BodyMismatchException if the body is not {@code size} bytes or
     *                                                   does not hash to {@code output}
     */
    Path putBlob(Digest output, long size, InputStream body) throws IOException;

    /** The file of a stored, intact blob (hashed before its first use, as for a get), if any. */
    Optional<Path> blob(Digest output) throws IOException;

    /**
     * Names a stored blob as {@code action}'s output.
     *
     * @return false if the blob is not stored with {@code size} bytes (nothing changes)
     */
    boolean link(Digest action, Digest output, long size) throws IOException;

    /** The most recent trim, if any (cheap: what auto-trim checks after every session). */
    Optional<TrimResult> lastTrim() throws IOException;

    /** Counts, recent sessions' hit rate, the largest entries and the last trim. */
    StoreStats stats(int largest) throws IOException;

    /**
     * Re-hashes every blob the index names and looks for files no entry names; with
     * {@code repair}, drops the entries of bad blobs, the bad blobs, and leftover files.
     */
    VerifyResult verify(boolean repair) throws IOException;
}
