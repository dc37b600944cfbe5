package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.SessionRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The local store: gets, puts and links over its parts, each with one concern: the index's
 * connections ({@link Index}) and statements ({@link IndexRows}, {@link SessionRows}), the blob
 * files ({@link BlobFiles}) and the row locks that guard them ({@link BlobLocks}), the check that
 * a blob may be served ({@link BlobCheck}), and upkeep ({@link Upkeep}). See the package
 * documentation for the layout and the write order.
 */
final class H2Store implements LocalStore {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** Last use is refreshed at most this often per entry, sparing the index a write per get. */
    private static final Duration USE_RESOLUTION = Duration.ofMinutes(1);
    /** How many recent hits {@link #hot} keeps (about 200 bytes each). */
    private static final int HOT_ROWS = 1 << 16;

    private final Path root;
    private final InstantSource clock;
    private final Index index;
    private final BlobFiles files;
    private final BlobLocks locks;
    private final BlobCheck check;
    private final SessionRows sessions;
    private final Upkeep upkeep;
    /** The identity of the index file this store opened ({@link Index#identity}), or null. */
    private final Object indexFile;
    /** Held shared by each put, exclusively by close, so close waits for puts in progress. */
    private final ReentrantReadWriteLock open = new ReentrantReadWriteLock();
    /**
     * Recent hits, so that a hit whose use was recorded within {@link #USE_RESOLUTION} needs no
     * index lookup: only its blob's stat is compared with the one its bytes were verified under.
     * Serving such a row is as safe as a lookup: trim keeps entries used within the hour, a blob
     * that changed or vanished fails the stat check (and the full path runs), and another
     * process's re-put of the action named an output that is no more right than this one.
     */
    private final HotRows hot = new HotRows(HOT_ROWS);

    private H2Store(Path root, InstantSource clock, BlobFiles files, Index index) {
        this.root = root;
        this.clock = clock;
        this.files = files;
        this.index = index;
        this.locks = new BlobLocks(files);
        this.check = new BlobCheck(index, files, locks, hot);
        this.sessions = new SessionRows(index);
        this.upkeep = new Upkeep(index, files, locks, check, sessions, clock);
        this.indexFile = Index.identity(root);
    }

    /**
     * Opens (creating if need be) the store in {@code root}, an absolute, normalized directory,
     * taking put and use times from {@code clock} (file times are always the system clock's).
     * Removes what puts of dead processes left in {@code tmp/}. Unless this process owns the
     * store, reaching its index may start the store's index server: a detached background JVM
     * that outlives the caller, listens on a loopback port and writes files into {@code root}
     * ({@link IndexClient#connect}).
     *
     * @throws IOException if the directories cannot be created or the index cannot be reached
     */
    static H2Store open(Path root, InstantSource clock) throws IOException {
        BlobFiles files = BlobFiles.create(root, InstantSource.system());
        Index index = new Index(root);
        // The index's owner creates the schema; this first statement starts it if need be.
        index.withDb("open index " + root.resolve(IndexSchema.FILE), c -> {
            IndexSchema.upgrade(c);
            return null;
        });
        H2Store s = new H2Store(root, clock, files, index);
        files.removeStaleTemps();
        return s;
    }

    /**
     * Whether the store on disk is still the one this object opened: its index file is there and
     * is the same file. False after the directory was deleted (and perhaps made anew): a
     * long-lived process must open the new store rather than serve from the deleted one.
     */
    boolean onDisk() {
        Object now = Index.identity(root);
        return now != null && now.equals(indexFile);
    }

    /** The stat a blob was last verified under, if one is recorded (for tests). */
    Optional<String> verifiedStat(Digest output) throws IOException {
        return Optional.ofNullable(index.withDb("index lookup of blob " + output, c -> IndexRows.verifiedStat(c, output)))
                .filter(s -> !s.isEmpty());
    }

    /** Whether a get of {@code action} would be answered from the recent hits (for tests). */
    boolean isHot(Digest action) {
        return hot.get(action) != null;
    }

    @Override
    public Optional<Entry> getIfHot(Digest action) {
        EntryRow cached = hot.get(action);
        if (cached == null || EpochNanos.of(clock.instant()) - cached.lastUseNanos() >= USE_RESOLUTION.toNanos()) {
            return Optional.empty();
        }
        Path blob = files.blobPath(cached.output());
        BlobStat stat = files.stat(blob);
        if (stat != null && stat.size() == cached.size() && stat.key().equals(cached.verifiedStat())) {
            return Optional.of(cached.entry(blob));
        }
        hot.remove(action); // changed on disk, or gone: the full path judges it
        return Optional.empty();
    }

    @Override
    public Optional<Entry> get(Digest action) throws IOException {
        Optional<Entry> recent = getIfHot(action);
        if (recent.isPresent()) {
            return recent;
        }
        Instant now = clock.instant();
        EntryRow row = index.withDb("index lookup of " + action, c -> IndexRows.entry(c, action));
        if (row == null) {
            return Optional.empty();
        }
        long lastUse = row.lastUseNanos();
        // Use is recorded before the blob is checked: a trim removes an entry only if its last
        // use is still the one it read, so once touched the entry (and its blob) stays; if a
        // trim removed it first, this get is a miss. An entry used within the minute is
        // within trim's protected hour anyway.
        if (EpochNanos.of(now) - lastUse >= USE_RESOLUTION.toNanos()) {
            lastUse = EpochNanos.of(now);
            long touched = lastUse;
            if (!index.withDb("index update of last use for " + action,
                    c -> IndexRows.touch(c, action, row.output(), touched))) {
                return Optional.empty();
            }
        }
        String trusted = check.servable(row.output(), row.size(), row.verifiedStat());
        if (trusted == null) {
            return Optional.empty();
        }
        if (!trusted.isEmpty()) {
            hot.put(action, row.with(lastUse, trusted));
        }
        return Optional.of(row.entry(files.blobPath(row.output())));
    }

    @Override
    public Entry put(Digest action, Digest output, long size, InputStream body) throws IOException {
        return put(action, output, size, body, null);
    }

    @Override
    public Entry put(Digest action, StoredOutput record, InputStream body) throws IOException {
        return put(action, record.output(), record.size(), body, Seal.of(record));
    }

    private Entry put(Digest action, Digest output, long size, InputStream body, Seal seal) throws IOException {
        Instant now = clock.instant();
        hot.remove(action);
        EntryRow[] replaced = new EntryRow[1]; // the last run of the transaction's (it may run again)
        Path blob = receiveAndPlace(output, size, body,
                c -> replaced[0] = nameOutput(c, action, output, size, now, seal), "index update for " + action);
        retire(replaced[0], output, now);
        hot.remove(action);
        check.verifySoon(output, size);
        return new EntryRow(output, size, EpochNanos.of(now), EpochNanos.of(now), null, seal).entry(blob);
    }

    @Override
    public Path putBlob(Digest output, long size, InputStream body) throws IOException {
        long now = EpochNanos.of(clock.instant());
        // No entry names it yet: counted as unnamed, and trimmed if none comes to within the hour.
        return receiveAndPlace(output, size, body, c -> locks.unnamed(c, output, size, now),
                "index update for blob " + output);
    }

    @Override
    public Optional<Path> blob(Digest output) throws IOException {
        IndexRows.BlobRow row = index.withDb("index lookup of blob " + output, c -> IndexRows.blob(c, output));
        Path blob = files.blobPath(output);
        if (row == null) {
            // A blob stored before its record existed (an older larder): judged by its bytes.
            BlobStat stat = files.stat(blob);
            return stat != null && check.isServable(output, stat.size(), null) ? Optional.of(blob) : Optional.empty();
        }
        return check.isServable(output, row.size(), row.verifiedStat()) ? Optional.of(blob) : Optional.empty();
    }

    @Override
    public boolean link(Digest action, Digest output, long size) throws IOException {
        return link(action, output, size, null);
    }

    @Override
    public boolean link(Digest action, StoredOutput record) throws IOException {
        return link(action, record.output(), record.size(), Seal.of(record));
    }

    private boolean link(Digest action, Digest output, long size, Seal seal) throws IOException {
        Instant now = clock.instant();
        hot.remove(action);
        Path blob = files.blobPath(output);
        EntryRow[] replaced = new EntryRow[1];
        boolean linked = index.withDb("index update for " + action, c -> Index.inTransaction(c, () -> {
            locks.lock(c, output, size, false);
            BlobStat stat = files.stat(blob);
            if (stat == null || stat.size() != size) {
                return false;
            }
            replaced[0] = nameOutput(c, action, output, size, now, seal);
            return true;
        }));
        if (linked) {
            retire(replaced[0], output, now);
        }
        return linked;
    }

    /** The step a put takes, under the blob's lock, after the blob is in place. */
    @FunctionalInterface
    private interface AfterPlace {
        void run(Connection c) throws SQLException, IOException;
    }

    /**
     * Receives and verifies a body into a temp file, then in one transaction holding the blob's
     * row lock places it as the blob and runs {@code then} (naming it as an action's output, or
     * nothing), so a trim or repair (which take the same lock to delete a blob no entry names)
     * never deletes the file this put returns. The verified bytes replace whatever file has this
     * name: the same content when the output was stored before (still one blob per output), or a
     * damaged copy, which is repaired; readers of the old file keep their open inode. No verified
     * stat is recorded: the file has just changed (see BlobStat), so its first later use hashes it.
     * If {@code then} fails, the just-placed blob goes unless an entry names it.
     */
    private Path receiveAndPlace(Digest output, long size, InputStream body, AfterPlace then, String what)
            throws IOException {
        open.readLock().lock();
        try {
            index.ensureOpen();
            Path temp = files.receive(body, output, size);
            try {
                index.withDb(what, c -> Index.inTransaction(c, () -> {
                    locks.lock(c, output, size, true);
                    files.place(temp, output);
                    try {
                        then.run(c);
                    } catch (SQLException e) {
                        // The blob is in place but no entry will name it (a full disk, say):
                        // remove it unless an earlier entry already serves the same output, or it
                        // is a replaced output in its protected hour (a DiskPath may be out).
                        if (!BlobLocks.kept(c, output)) {
                            Files.deleteIfExists(files.blobPath(output));
                        }
                        throw e;
                    }
                    return null;
                }));
                return files.blobPath(output);
            } finally {
                Files.deleteIfExists(temp);
            }
        } finally {
            open.readLock().unlock();
        }
    }

    /**
     * Names {@code output} as {@code action}'s output, under {@code output}'s lock.
     *
     * @return the row the action had before (its output is for {@link #retire}), or null
     */
    private EntryRow nameOutput(Connection c, Digest action, Digest output, long size, Instant now, Seal seal)
            throws SQLException {
        EntryRow previous = IndexRows.entry(c, action);
        IndexRows.putEntry(c, action, output, size, EpochNanos.of(now), seal);
        locks.named(c, output);
        return previous;
    }

    /**
     * After a put or link named {@code output} for an action that named {@code previous}'s
     * output before: that output, if nothing names it any more, goes at once when it was not
     * used within the protected hour; otherwise it stays, counted as unnamed, until a trim after
     * that hour (a DiskPath handed out to another go command may still be read). A transaction
     * of its own, under that output's lock alone: a put holding two blob locks at once would
     * deadlock with a put of the two outputs the other way round.
     */
    private void retire(EntryRow previous, Digest output, Instant now) {
        if (previous == null || previous.output().equals(output)) {
            return;
        }
        Digest old = previous.output();
        boolean unused = previous.lastUseNanos() < EpochNanos.of(now.minus(TrimSettings.PROTECTED));
        try {
            index.withDb("index update for replaced output " + old, c -> Index.inTransaction(c, () -> {
                if (unused) {
                    locks.removeIfUnnamed(c, old);
                } else {
                    locks.unnamed(c, old, previous.size(), EpochNanos.of(now));
                }
                return null;
            }));
        } catch (IOException e) {
            // The put itself is done: the old blob stays, an orphan `larder verify --repair` removes.
            LOG.log(System.Logger.Level.DEBUG, () -> "after a put of " + output + ": " + e.getMessage());
        }
    }

    @Override
    public void recordSession(SessionRecord r) throws IOException {
        sessions.record(r);
    }

    @Override
    public TrimResult trim(TrimSettings settings) throws IOException {
        try {
            return upkeep.trim(settings);
        } finally {
            hot.clear();
        }
    }

    @Override
    public Optional<TrimResult> lastTrim() throws IOException {
        return upkeep.lastTrim();
    }

    @Override
    public StoreStats stats(int largest) throws IOException {
        return upkeep.stats(largest);
    }

    @Override
    public VerifyResult verify(boolean repair) throws IOException {
        try {
            return upkeep.verify(repair);
        } finally {
            hot.clear();
        }
    }

    @Override
    public Path root() {
        return root;
    }

    @Override
    public void close() throws IOException {
        open.writeLock().lock();
        try {
            index.close();
        } finally {
            open.writeLock().unlock();
        }
    }
}
