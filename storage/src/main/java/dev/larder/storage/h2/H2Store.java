package dev.larder.storage.h2;

import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.SessionRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/** The local store; see the package documentation for its layout and write order. */
final class H2Store implements LocalStore {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** A temp file this old was left by a process that died mid-put. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);
    /** Last use is refreshed at most this often per entry, sparing the index a write per get. */
    private static final Duration USE_RESOLUTION = Duration.ofMinutes(1);
    private static final int SCHEMA_VERSION = 2;
    private static final long PID = ProcessHandle.current().pid();
    /** Session rows kept for the hit rate over recent sessions. */
    private static final int SESSIONS_KEPT = 1000;
    /** How long a statement keeps trying to reach an index that is changing hands. */
    private static final Duration RECONNECT_PATIENCE = Duration.ofSeconds(60);
    /** {@code put-<pid>-<random>.tmp}: the pid of the process receiving the body. */
    private static final java.util.regex.Pattern TEMP_NAME = java.util.regex.Pattern.compile("put-(\\d+)-[0-9a-f]+\\.tmp");

    private final Path root;
    private final Path blobs;
    private final Path tmp;
    private final InstantSource clock;
    /**
     * Connections to the index not in use now. One JDBC connection is not safe for concurrent
     * use, so each {@link #withDb} borrows one of its own: puts, gets and upkeep run their
     * transactions side by side (as clients in other processes do), and a put's fsyncs hold up
     * no other request. Guarded by {@link #dbLock}.
     */
    private final java.util.ArrayDeque<Connection> idle = new java.util.ArrayDeque<>();
    /** Connections open now, idle or lent; at most {@link #MAX_CONNECTIONS}. Guarded by {@link #dbLock}. */
    private int connections;
    /** Lent connections, so that work inside work (on one thread) reuses the outer connection. */
    private final ThreadLocal<Connection> lent = new ThreadLocal<>();
    /** Guards {@link #idle}, {@link #connections} and closing. */
    private final Object dbLock = new Object();
    /**
     * How many statements may run on the index at once. A daemon serves many sessions of eight
     * workers; beyond this many, work waits for a connection.
     */
    private static final int MAX_CONNECTIONS = 16;
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
    /** How many recent hits {@link #hot} keeps (about 200 bytes each). */
    private static final int HOT_ROWS = 1 << 16;
    private volatile boolean closed;

    private H2Store(Path root, InstantSource clock) {
        this.root = root;
        this.blobs = root.resolve("blobs");
        this.tmp = root.resolve("tmp");
        this.clock = clock;
    }

    static H2Store open(Path root, InstantSource clock) throws IOException {
        try {
            Files.createDirectories(root.resolve("blobs"));
            Files.createDirectories(root.resolve("tmp"));
        } catch (IOException e) {
            throw new IOException("cannot create store directory " + root + ": " + describe(e), e);
        }
        H2Store s = new H2Store(root, clock);
        // The index server creates the schema; this first statement starts it if need be.
        s.withDb("open index " + root.resolve("index.mv.db"), c -> null);
        s.indexFile = fileKey(root.resolve("index.mv.db"));
        s.removeStaleTemps();
        return s;
    }

    /** The identity (device and inode) of the index file this store opened, or null. */
    private volatile Object indexFile;

    /**
     * Whether the store on disk is still the one this object opened: its index file is there and
     * is the same file. False after the directory was deleted (and perhaps made anew): a
     * long-lived process must open the new store rather than serve from the deleted one.
     */
    boolean onDisk() {
        Object now = fileKey(root.resolve("index.mv.db"));
        return now != null && now.equals(indexFile);
    }

    /** A file's identity (device and inode), or null if it is missing. */
    static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** The stat a blob was last verified under, if any (for tests). */
    Optional<String> verifiedStat(Digest output) throws IOException {
        return Optional.ofNullable(withDb("index lookup of blob " + output, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT verified_stat FROM blobs WHERE output = ?")) {
                ps.setBytes(1, output.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        }));
    }

    /** Whether a get of {@code action} would be answered from the recent hits (for tests). */
    boolean isHot(Digest action) {
        return hot.get(action) != null;
    }

    static void createSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR(64) PRIMARY KEY, val VARCHAR(256) NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS entries ("
                    + "action VARBINARY(32) PRIMARY KEY, "
                    + "output VARBINARY(32) NOT NULL, "
                    + "size BIGINT NOT NULL, "
                    + "put_nanos BIGINT NOT NULL, "
                    + "last_use_nanos BIGINT NOT NULL)");
            st.execute("CREATE INDEX IF NOT EXISTS entries_output ON entries(output)");
            // One row per blob file whose bytes were hashed and found right, keyed by what stat
            // said of the file then: while the file's stat is unchanged, it need not be hashed
            // again before it is served; any write to it (a bit flip, a truncation) changes its
            // ctime, and the next get hashes it.
            st.execute("CREATE TABLE IF NOT EXISTS blobs ("
                    + "output VARBINARY(32) PRIMARY KEY, "
                    + "size BIGINT NOT NULL, "
                    + "verified_stat VARCHAR(128) NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS sessions ("
                    + "id BIGINT AUTO_INCREMENT PRIMARY KEY, ended_nanos BIGINT NOT NULL, gets BIGINT NOT NULL, "
                    + "hits BIGINT NOT NULL, misses BIGINT NOT NULL, puts BIGINT NOT NULL, "
                    + "put_bytes BIGINT NOT NULL, errors BIGINT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS trims ("
                    + "id BIGINT AUTO_INCREMENT PRIMARY KEY, at_nanos BIGINT NOT NULL, "
                    + "entries_removed BIGINT NOT NULL, blobs_removed BIGINT NOT NULL, bytes_removed BIGINT NOT NULL, "
                    + "entries_left BIGINT NOT NULL, bytes_left BIGINT NOT NULL, within_budget BOOLEAN NOT NULL)");
            st.execute("MERGE INTO meta (name, val) KEY(name) VALUES ('schema', '" + SCHEMA_VERSION + "')");
        }
    }

    @Override
    public Optional<Entry> getIfHot(Digest action) {
        HotRows.Row cached = hot.get(action);
        if (cached == null || toNanos(clock.instant()) - cached.lastUseNanos() >= USE_RESOLUTION.toNanos()) {
            return Optional.empty();
        }
        Path blob = blobPath(cached.output());
        BlobStat stat = BlobStat.of(blob);
        if (stat != null && stat.size() == cached.size() && stat.key().equals(cached.verifiedStat())) {
            return Optional.of(new Entry(cached.output(), cached.size(), fromNanos(cached.putNanos()), blob));
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
        Digest output;
        long size;
        long putNanos;
        long lastUse;
        String verifiedStat;
        Object[] row = withDb("index lookup of " + action, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT e.output, e.size, e.put_nanos, e.last_use_nanos, b.verified_stat "
                            + "FROM entries e LEFT JOIN blobs b ON b.output = e.output WHERE e.action = ?")) {
                ps.setBytes(1, action.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    return new Object[] {rs.getBytes(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getString(5)};
                }
            }
        });
        if (row == null) {
            return Optional.empty();
        }
        output = new Digest((byte[]) row[0]);
        size = (Long) row[1];
        putNanos = (Long) row[2];
        lastUse = (Long) row[3];
        verifiedStat = (String) row[4];
        Path blob = blobPath(output);
        // Use is recorded before the blob is checked: a trim removes an entry only if its last
        // use is still the one it read, so once touched the entry (and its blob) stays; if a
        // trim removed it first, this get is a miss. An entry used within the minute is
        // within trim's protected hour anyway.
        if (toNanos(now) - lastUse >= USE_RESOLUTION.toNanos()) {
            if (!touch(action, output, now)) {
                return Optional.empty();
            }
            lastUse = toNanos(now);
        }
        String trusted = servable(blob, output, size, verifiedStat);
        if (trusted == null) {
            return Optional.empty();
        }
        if (!trusted.isEmpty()) {
            hot.put(action, new HotRows.Row(output, size, putNanos, lastUse, trusted));
        }
        return Optional.of(new Entry(output, size, fromNanos(putNanos), blob));
    }

    /**
     * Whether the blob may be served: it exists with the indexed size, and either its stat is the
     * one recorded when it was last hashed, or it hashes to its name now. A blob that vanished,
     * changed length or no longer hashes to its name is dropped with every entry naming it, so
     * it is a miss and the next put of that output stores it afresh.
     */
    private boolean isServable(Path blob, Digest output, long size, String verifiedStat) throws IOException {
        return servable(blob, output, size, verifiedStat) != null;
    }

    /**
     * As {@link #isServable}: null if not servable, else the stat key its bytes are now known
     * to match (empty if the file is too fresh for its stat to be trusted later).
     */
    private String servable(Path blob, Digest output, long size, String verifiedStat) throws IOException {
        Instant before = Instant.now();
        BlobStat stat = BlobStat.of(blob);
        if (stat == null || stat.size() != size) {
            LOG.log(System.Logger.Level.WARNING, () -> "blob " + blob + " is " + (stat == null ? "missing"
                    : stat.size() + " bytes, indexed as " + size) + ": dropping its entries");
            dropOutput(output, size, stat == null ? null : stat.key(), false);
            return null;
        }
        if (stat.key().equals(verifiedStat)) {
            return verifiedStat;
        }
        Digest actual;
        try {
            actual = Digest.sha256Of(blob);
        } catch (java.nio.file.NoSuchFileException gone) {
            return null; // removed while we looked (a trim, a repair): a miss
        }
        if (!actual.equals(output)) {
            LOG.log(System.Logger.Level.WARNING, () -> "blob " + blob + " is damaged (its sha256 is " + actual
                    + "): dropping it and its entries");
            dropOutput(output, size, stat.key(), true);
            return null;
        }
        BlobStat after = BlobStat.of(blob);
        if (after != null && after.key().equals(stat.key()) && stat.settledAt(before)) {
            recordVerified(output, size, stat.key());
            return stat.key();
        }
        return "";
    }

    @Override
    public Entry put(Digest action, Digest output, long size, InputStream body) throws IOException {
        Instant now = clock.instant();
        hot.remove(action);
        Path blob = receiveAndPlace(output, size, body, (c, placed) -> nameOutput(c, action, output, size, now, placed),
                "index update for " + action);
        hot.remove(action);
        verifySoon(output, size, 0);
        return new Entry(output, size, now, blob);
    }

    /** Runs the background verification of fresh blobs; one daemon thread per process. */
    private static final java.util.concurrent.ScheduledExecutorService SETTLER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "larder-blob-settler");
                t.setDaemon(true);
                t.setPriority(Thread.MIN_PRIORITY);
                return t;
            });
    /** A little past {@link BlobStat#SETTLED}, and past the two seconds of coarse file systems. */
    private static final long[] SETTLE_DELAYS_MILLIS = {BlobStat.SETTLED.toMillis() + 50, 2_100};

    /**
     * Hashes a blob just put once its stat has settled, in the background, and records the stat
     * it was found right under, as a get would at the blob's first use: so that the first build
     * that reads it (a fresh CI machine after the store was filled, the next build of a daemon's
     * user) only compares the stat. The put's own hash does not count: a write in the same clock
     * tick as the rename would leave the same stat (git's "racily clean" entries), so only a hash
     * taken after the file settled is trusted, exactly as on the get path. Best effort: a store
     * closed, a process that exits first, or a failure leave the blob to be hashed at its first
     * get, as before.
     */
    private void verifySoon(Digest output, long size, int attempt) {
        if (attempt >= SETTLE_DELAYS_MILLIS.length) {
            return;
        }
        try {
            SETTLER.schedule(() -> {
                if (closed) {
                    return;
                }
                Path blob = blobPath(output);
                Instant before = Instant.now();
                BlobStat stat = BlobStat.of(blob);
                if (stat == null || stat.size() != size) {
                    return; // gone or replaced: its next get judges it
                }
                if (!stat.settledAt(before)) {
                    verifySoon(output, size, attempt + 1);
                    return;
                }
                try {
                    servable(blob, output, size, null);
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "background check of " + blob + ": " + e.getMessage());
                }
            }, SETTLE_DELAYS_MILLIS[attempt], java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down: the first get hashes it
        }
    }

    @Override
    public Path putBlob(Digest output, long size, InputStream body) throws IOException {
        return receiveAndPlace(output, size, body, (c, placed) -> null, "index update for blob " + output);
    }

    @Override
    public Optional<Path> blob(Digest output) throws IOException {
        Object[] row = withDb("index lookup of blob " + output, c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT size, verified_stat FROM blobs WHERE output = ?")) {
                ps.setBytes(1, output.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? new Object[] {rs.getLong(1), rs.getString(2)} : null;
                }
            }
        });
        Path blob = blobPath(output);
        if (row == null) {
            // A blob stored before its record existed (an older larder): judged by its bytes.
            BlobStat stat = BlobStat.of(blob);
            return stat != null && isServable(blob, output, stat.size(), null) ? Optional.of(blob) : Optional.empty();
        }
        return isServable(blob, output, (Long) row[0], (String) row[1]) ? Optional.of(blob) : Optional.empty();
    }

    @Override
    public boolean link(Digest action, Digest output, long size) throws IOException {
        Instant now = clock.instant();
        hot.remove(action);
        Path blob = blobPath(output);
        return withDb("index update for " + action, c -> inTransaction(c, () -> {
            lockBlob(c, output, size, false);
            BlobStat stat = BlobStat.of(blob);
            if (stat == null || stat.size() != size) {
                return false;
            }
            nameOutput(c, action, output, size, now, false);
            return true;
        }));
    }

    /** The step a put takes, under the blob's lock, after the blob is in place. */
    @FunctionalInterface
    private interface AfterPlace {
        Object run(Connection c, boolean placed) throws SQLException, IOException;
    }

    /**
     * Receives and verifies a body into a temp file, then in one transaction holding the blob's
     * row lock places it as the blob and runs {@code then} (naming it as an action's output, or
     * nothing), so a trim or repair (which take the same lock to delete a blob no entry names)
     * never deletes the file this put returns. The verified bytes replace whatever file has this
     * name: the same content when the output was stored before (still one blob per output), or a
     * damaged copy, which is repaired; readers of the old file keep their open inode. No verified
     * stat is recorded: the file has just changed (see BlobStat), so its first later use hashes it.
     */
    private Path receiveAndPlace(Digest output, long size, InputStream body, AfterPlace then, String what)
            throws IOException {
        if (size < 0) {
            throw new BodyMismatchException("put body: declared size " + size + ", want >= 0");
        }
        open.readLock().lock();
        try {
            ensureOpen();
            Path blob = blobPath(output);
            Path temp = newTempFile();
            try {
                receive(body, temp, output, size);
                Files.createDirectories(blob.getParent());
                withDb(what, c -> inTransaction(c, () -> {
                    lockBlob(c, output, size, true);
                    // Linked, then renamed over the blob: the temp file stays until the
                    // transaction commits, so a retry (the index reconnected, a deadlock was
                    // broken) can place it again.
                    Path link = temp.resolveSibling(temp.getFileName() + ".link");
                    Files.deleteIfExists(link);
                    Files.createLink(link, temp);
                    moveAtomically(link, blob);
                    syncDirectory(blob.getParent());
                    return then.run(c, true);
                }));
                return blob;
            } finally {
                Files.deleteIfExists(temp);
            }
        } finally {
            open.readLock().unlock();
        }
    }

    /**
     * Names {@code output} as {@code action}'s output; the output the action named before goes
     * if nothing names it any more and it was not used within the protected hour. With
     * {@code placed}, a failure removes the just-placed blob unless another entry names it.
     */
    private Object nameOutput(Connection c, Digest action, Digest output, long size, Instant now, boolean placed)
            throws SQLException, IOException {
        byte[] previous = null;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT output, last_use_nanos FROM entries WHERE action = ?")) {
            ps.setBytes(1, action.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                // Only an output unused for the protected hour: a DiskPath handed out more
                // recently may still be read by another go command.
                if (rs.next() && rs.getLong(2) < toNanos(now.minus(TrimPolicy.PROTECTED))) {
                    previous = rs.getBytes(1);
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO entries (action, output, size, put_nanos, last_use_nanos) KEY(action) "
                        + "VALUES (?, ?, ?, ?, ?)")) {
            ps.setBytes(1, action.bytes());
            ps.setBytes(2, output.bytes());
            ps.setLong(3, size);
            ps.setLong(4, toNanos(now));
            ps.setLong(5, toNanos(now));
            ps.executeUpdate();
        } catch (SQLException e) {
            // The blob is in place but no entry will name it (a full disk, say): remove it
            // unless an earlier entry already serves the same output.
            if (placed && !referenced(c, output)) {
                Files.deleteIfExists(blobPath(output));
            }
            throw e;
        }
        // The output this action named before, if no entry names it now, would only take space
        // that trim does not count: it goes, under its own lock. (One used within the hour stays,
        // for `larder verify --repair` to remove later.)
        if (previous != null && !java.util.Arrays.equals(previous, output.bytes())) {
            Digest old = new Digest(previous);
            lockBlob(c, old, 0, false);
            if (!referenced(c, old)) {
                Files.deleteIfExists(blobPath(old));
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM blobs WHERE output = ?")) {
                    ps.setBytes(1, previous);
                    ps.executeUpdate();
                }
            }
        }
        return null;
    }

    /**
     * Creates an empty file in {@code tmp/} with a fresh name. Unlike createTempFile (mode 0600),
     * it takes the process umask's mode, as cmd/go's own cache files do, so that a store can be
     * shared by several users of one group.
     */
    private Path newTempFile() throws IOException {
        while (true) {
            Path p = tmp.resolve("put-" + PID + "-"
                    + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(p);
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another put drew the same name: draw again
            }
        }
    }

    /** Copies the body to {@code temp}, hashing and counting on the way, then fsyncs it. */
    private static void receive(InputStream body, Path temp, Digest output, long size) throws IOException {
        MessageDigest sha = Digest.newSha256();
        byte[] buf = new byte[64 * 1024];
        long count = 0;
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            while (true) {
                int n = body.read(buf);
                if (n < 0) {
                    break;
                }
                count += n;
                if (count > size) {
                    throw new BodyMismatchException("put body: got more than the declared " + size + " bytes");
                }
                sha.update(buf, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    ch.write(bb);
                }
            }
            if (count != size) {
                throw new BodyMismatchException("put body: got " + count + " bytes, declared " + size);
            }
            Digest actual = new Digest(sha.digest());
            if (!actual.equals(output)) {
                throw new BodyMismatchException("put body: sha256 is " + actual + ", but OutputID is " + output);
            }
            ch.force(true);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("store needs " + from.getParent() + " and " + to.getParent()
                    + " on one file system: " + e.getMessage(), e);
        }
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename itself durable; some file systems refuse to fsync a directory, and
        // the index row written after it is what the next process trusts, so a failure is benign.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // see above
        }
    }

    /** Records a use; false if the entry is gone or names another output by now. */
    private boolean touch(Digest action, Digest output, Instant now) throws IOException {
        return withDb("index update of last use for " + action, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE entries SET last_use_nanos = ? WHERE action = ? AND output = ?")) {
                ps.setLong(1, toNanos(now));
                ps.setBytes(2, action.bytes());
                ps.setBytes(3, output.bytes());
                return ps.executeUpdate() > 0;
            }
        });
    }

    void recordVerified(Digest output, long size, String statKey) throws IOException {
        withDb("index update of blob " + output, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "MERGE INTO blobs (output, size, verified_stat) KEY(output) VALUES (?, ?, ?)")) {
                ps.setBytes(1, output.bytes());
                ps.setLong(2, size);
                ps.setString(3, statKey);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Forgets every entry naming {@code output} and the record of its blob, and with
     * {@code deleteFile} deletes the (damaged) blob file, unless the file changed since it was
     * judged ({@code judgedStat}, null for missing): a put may have replaced it with good bytes
     * meanwhile. Holds the blob's row lock throughout, as puts do.
     */
    void dropOutput(Digest output, long size, String judgedStat, boolean deleteFile) throws IOException {
        hot.clear();
        Path blob = blobPath(output);
        withDb("index delete of output " + output, c -> inTransaction(c, () -> {
            lockBlob(c, output, size, false);
            BlobStat now = BlobStat.of(blob);
            if (!java.util.Objects.equals(now == null ? null : now.key(), judgedStat)) {
                return null; // replaced since: leave it to be judged again
            }
            try (PreparedStatement entries = c.prepareStatement("DELETE FROM entries WHERE output = ?");
                    PreparedStatement row = c.prepareStatement("DELETE FROM blobs WHERE output = ?")) {
                entries.setBytes(1, output.bytes());
                entries.executeUpdate();
                row.setBytes(1, output.bytes());
                row.executeUpdate();
            }
            if (deleteFile) {
                Files.deleteIfExists(blob);
            }
            return null;
        }));
    }

    /** Work on the index that may also touch files, run as one transaction. */
    @FunctionalInterface
    interface TxWork<T> {
        T run() throws SQLException, IOException;
    }

    /** Runs {@code work} in one transaction on {@code c}: committed if it returns, rolled back if it throws. */
    static <T> T inTransaction(Connection c, TxWork<T> work) throws SQLException, IOException {
        c.setAutoCommit(false);
        try {
            T result = work.run();
            c.commit();
            return result;
        } catch (SQLException | IOException | RuntimeException e) {
            try {
                c.rollback();
            } catch (SQLException ignored) {
                // the connection broke: the server rolls back
            }
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException ignored) {
                // broken: the next withDb reconnects
            }
        }
    }

    /**
     * Takes the row lock of {@code output}'s blob record until the transaction ends, creating
     * the record if there is none; {@code replacing} (a put) also forgets its verified stat.
     * Every change to a blob file happens under this lock.
     */
    static void lockBlob(Connection c, Digest output, long size, boolean replacing) throws SQLException {
        if (!replacing) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM blobs WHERE output = ? FOR UPDATE")) {
                ps.setBytes(1, output.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return;
                    }
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(
                "MERGE INTO blobs (output, size, verified_stat) KEY(output) VALUES (?, ?, '')")) {
            ps.setBytes(1, output.bytes());
            ps.setLong(2, size);
            ps.executeUpdate();
        }
    }

    static boolean referenced(Connection c, Digest output) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM entries WHERE output = ? LIMIT 1")) {
            ps.setBytes(1, output.bytes());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void removeStaleTemps() {
        // File times come from the real clock, whatever clock the store was given.
        Instant cutoff = Instant.now().minus(STALE_TEMP);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                try {
                    if (ownerGone(p) || Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
                        Files.deleteIfExists(p);
                    }
                } catch (NoSuchFileException raced) {
                    // another process cleaned it first
                } catch (IOException e) {
                    // not ours to remove (a directory, say): leave it and clean the rest
                    LOG.log(System.Logger.Level.DEBUG, () -> "cannot remove stale " + p + ": " + e.getMessage());
                }
            }
        } catch (IOException ignored) {
            // cleaning is best effort; the next open tries again
        }
    }

    /**
     * Whether the temp file was left by a process that no longer runs (killed in the middle of a
     * put). Files of processes this one cannot see (another PID namespace) are left to the age
     * rule.
     */
    static boolean ownerGone(Path temp) {
        java.util.regex.Matcher m = TEMP_NAME.matcher(temp.getFileName().toString());
        if (!m.matches()) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return false;
        }
        return pid != PID && ProcessHandle.of(pid).isEmpty();
    }

    /** A file-system failure in words: the JDK's exceptions often carry only the path. */
    private static String describe(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied on " + e.getMessage();
        }
        if (e instanceof NoSuchFileException) {
            return "no such directory " + e.getMessage();
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return e.getMessage() + " exists and is not a directory";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason() + ": " + fse.getFile();
        }
        return e.toString();
    }

    @Override
    public Path root() {
        return root;
    }

    Path tmpDir() {
        return tmp;
    }

    Path blobsDir() {
        return blobs;
    }

    InstantSource clock() {
        return clock;
    }

    /** One step of upkeep against the index, run with the connection to itself. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /**
     * Runs {@code work} on a connection to the index that no other thread uses meanwhile (other
     * threads' work runs on theirs, at the same time), connecting first if need be; work inside
     * work on one thread shares the outer connection. When the connection breaks because the process serving the index to this
     * one exited, or the file is between owners, it reconnects and runs {@code work} again, for
     * up to {@link #RECONNECT_PATIENCE}: every piece of work must be safe to run twice. Upkeep
     * takes the index in short steps like this, so gets and puts go on between them.
     *
     * @throws IOException naming {@code what}, if the index fails otherwise or stays unreachable
     */
    <T> T withDb(String what, SqlWork<T> work) throws IOException {
        Connection outer = lent.get();
        if (outer != null) {
            return work(what, work, outer, false);
        }
        return work(what, work, borrow(), true);
    }

    /** Runs {@code work} on {@code c} (null: connect first), reconnecting as {@link #withDb} says. */
    private <T> T work(String what, SqlWork<T> work, Connection c, boolean own) throws IOException {
        long deadline = System.nanoTime() + RECONNECT_PATIENCE.toNanos();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (c == null) {
                        c = connect();
                    }
                    if (own) {
                        lent.set(c);
                    }
                    return work.run(c);
                } catch (SQLException e) {
                    if (!own || !isTransient(e) || System.nanoTime() > deadline) {
                        throw new IOException(what + ": " + e.getMessage(), e);
                    }
                    int tries = attempt + 1;
                    LOG.log(System.Logger.Level.DEBUG, () -> what + ": index unreachable (" + e.getErrorCode()
                            + ", try " + tries + "), reconnecting: " + e.getMessage());
                    closeQuietly(c);
                    c = null;
                    lent.remove();
                    pause(attempt);
                }
            }
        } finally {
            if (own) {
                lent.remove();
                giveBack(c);
            }
        }
    }

    /**
     * An idle connection, or null when the caller may open a new one (counted already); waits
     * while {@link #MAX_CONNECTIONS} are lent.
     */
    private Connection borrow() throws IOException {
        synchronized (dbLock) {
            while (true) {
                ensureOpen();
                Connection c = idle.pollFirst();
                if (c != null) {
                    return c;
                }
                if (connections < MAX_CONNECTIONS) {
                    connections++;
                    return null;
                }
                try {
                    dbLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the index", e);
                }
            }
        }
    }

    /** Returns a lent connection (null: none could be opened); after close, closes it. */
    private void giveBack(Connection c) {
        synchronized (dbLock) {
            if (c == null || closed) {
                connections--;
                closeQuietly(c);
            } else {
                idle.addFirst(c);
            }
            dbLock.notifyAll();
        }
    }

    private Connection connect() throws SQLException {
        return IndexClient.connect(root);
    }

    /**
     * Errors worth running the work again for: the connection to the index broke (its server
     * exited or was replaced), the index is being opened by another process right now, or a
     * transaction lost a lock conflict.
     */
    private static boolean isTransient(SQLException e) {
        return switch (e.getErrorCode()) {
            case org.h2.api.ErrorCode.CONNECTION_BROKEN_1,
                    org.h2.api.ErrorCode.DATABASE_CALLED_AT_SHUTDOWN,
                    org.h2.api.ErrorCode.DATABASE_IS_CLOSED,
                    org.h2.api.ErrorCode.OBJECT_CLOSED,
                    org.h2.api.ErrorCode.ERROR_OPENING_DATABASE_1,
                    org.h2.api.ErrorCode.DATABASE_ALREADY_OPEN_1,
                    // two transactions wanted each other's locks, or waited too long: run again
                    org.h2.api.ErrorCode.DEADLOCK_1,
                    org.h2.api.ErrorCode.LOCK_TIMEOUT_1,
                    org.h2.api.ErrorCode.CONCURRENT_UPDATE_1 -> true;
            default -> e instanceof java.sql.SQLTransientConnectionException
                    || e instanceof java.sql.SQLNonTransientConnectionException;
        };
    }

    private static void pause(int attempt) {
        long millis = Math.min(500, 10L << Math.min(attempt, 6));
        try {
            Thread.sleep(millis + java.util.concurrent.ThreadLocalRandom.current().nextLong(millis + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // it is broken already
        }
    }

    @Override
    public void recordSession(SessionRecord r) throws IOException {
        withDb("record session", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO sessions "
                    + "(ended_nanos, gets, hits, misses, puts, put_bytes, errors) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                ps.setLong(1, toNanos(r.ended()));
                ps.setLong(2, r.gets());
                ps.setLong(3, r.hits());
                ps.setLong(4, r.misses());
                ps.setLong(5, r.puts());
                ps.setLong(6, r.putBytes());
                ps.setLong(7, r.errors());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM sessions WHERE id <= (SELECT MAX(id) FROM sessions) - ?")) {
                ps.setLong(1, SESSIONS_KEPT);
                ps.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public TrimResult trim(TrimPolicy policy) throws IOException {
        try {
            return new Upkeep(this).trim(policy);
        } finally {
            hot.clear();
        }
    }

    @Override
    public Optional<TrimResult> lastTrim() throws IOException {
        return new Upkeep(this).lastTrim();
    }

    @Override
    public StoreStats stats(int largest) throws IOException {
        return new Upkeep(this).stats(largest);
    }

    @Override
    public VerifyResult verify(boolean repair) throws IOException {
        try {
            return new Upkeep(this).verify(repair);
        } finally {
            hot.clear();
        }
    }

    Path blobPath(Digest output) {
        String hex = output.toString();
        return blobs.resolve(hex.substring(0, 2)).resolve(hex);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("store is closed");
        }
    }

    @Override
    public void close() throws IOException {
        open.writeLock().lock();
        try {
            synchronized (dbLock) {
                if (closed) {
                    return;
                }
                closed = true;
                // Work in progress on other threads (gets) ends first, as it did when one lock
                // guarded one connection; their connections are closed as they come back.
                while (connections > idle.size()) {
                    try {
                        dbLock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
                SQLException failed = null;
                for (Connection c; (c = idle.pollFirst()) != null; connections--) {
                    try {
                        c.close();
                    } catch (SQLException e) {
                        if (!isTransient(e)) {
                            failed = e;
                        }
                    }
                }
                if (failed != null) {
                    throw new IOException("close index: " + failed.getMessage(), failed);
                }
            }
        } finally {
            open.writeLock().unlock();
        }
    }

    static long toNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    static Instant fromNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
