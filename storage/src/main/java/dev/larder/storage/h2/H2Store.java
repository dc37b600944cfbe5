package dev.larder.storage.h2;

import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.Storage;
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
final class H2Store implements Storage {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** A temp file this old was left by a process that died mid-put. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);
    /** Last use is refreshed at most this often per entry, sparing the index a write per get. */
    private static final Duration USE_RESOLUTION = Duration.ofMinutes(1);
    private static final int SCHEMA_VERSION = 1;

    private final Path blobs;
    private final Path tmp;
    private final InstantSource clock;
    private final Connection db;
    /** Guards {@link #db} (one JDBC connection is not safe for concurrent use) and closing. */
    private final Object dbLock = new Object();
    /** Held shared by each put, exclusively by close, so close waits for puts in progress. */
    private final ReentrantReadWriteLock open = new ReentrantReadWriteLock();
    private boolean closed;

    private H2Store(Path root, InstantSource clock, Connection db) {
        this.blobs = root.resolve("blobs");
        this.tmp = root.resolve("tmp");
        this.clock = clock;
        this.db = db;
    }

    static H2Store open(Path root, InstantSource clock) throws IOException {
        try {
            Files.createDirectories(root.resolve("blobs"));
            Files.createDirectories(root.resolve("tmp"));
        } catch (IOException e) {
            throw new IOException("cannot create store directory " + root + ": " + describe(e), e);
        }
        Connection c;
        try {
            // AUTO_SERVER: the first process to open the file owns it and serves it to others on
            // loopback, so two go commands at once share one store instead of failing on the lock.
            String url = "jdbc:h2:file:" + root.resolve("index") + ";AUTO_SERVER=TRUE";
            Properties p = new Properties();
            p.setProperty("user", "larder");
            p.setProperty("password", "");
            c = org.h2.Driver.load().connect(url, p);
            createSchema(c);
        } catch (SQLException e) {
            throw new IOException("open index " + root.resolve("index.mv.db") + ": " + e.getMessage(), e);
        }
        H2Store s = new H2Store(root, clock, c);
        s.removeStaleTemps();
        return s;
    }

    private static void createSchema(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS meta (name VARCHAR(64) PRIMARY KEY, val VARCHAR(256) NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS entries ("
                    + "action VARBINARY(32) PRIMARY KEY, "
                    + "output VARBINARY(32) NOT NULL, "
                    + "size BIGINT NOT NULL, "
                    + "put_nanos BIGINT NOT NULL, "
                    + "last_use_nanos BIGINT NOT NULL)");
            st.execute("CREATE INDEX IF NOT EXISTS entries_output ON entries(output)");
            st.execute("MERGE INTO meta (name, val) KEY(name) VALUES ('schema', '" + SCHEMA_VERSION + "')");
        }
    }

    @Override
    public Optional<Entry> get(Digest action) throws IOException {
        Instant now = clock.instant();
        Digest output;
        long size;
        long putNanos;
        long lastUse;
        synchronized (dbLock) {
            ensureOpen();
            try (PreparedStatement ps = db.prepareStatement(
                    "SELECT output, size, put_nanos, last_use_nanos FROM entries WHERE action = ?")) {
                ps.setBytes(1, action.bytes());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    output = new Digest(rs.getBytes(1));
                    size = rs.getLong(2);
                    putNanos = rs.getLong(3);
                    lastUse = rs.getLong(4);
                }
            } catch (SQLException e) {
                throw new IOException("index lookup of " + action + ": " + e.getMessage(), e);
            }
        }
        Path blob = blobPath(output);
        if (!isIntact(blob, size)) {
            // The blob vanished or changed length behind our back: forget the entry, report a miss.
            delete(action, output);
            return Optional.empty();
        }
        if (toNanos(now) - lastUse >= USE_RESOLUTION.toNanos()) {
            touch(action, now);
        }
        return Optional.of(new Entry(output, size, fromNanos(putNanos), blob));
    }

    @Override
    public Entry put(Digest action, Digest output, long size, InputStream body) throws IOException {
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
                // The verified bytes replace whatever file has this name: the same content when
                // the output was stored before (still one blob per output), or a damaged copy,
                // which is repaired. Readers of the old file keep their open inode.
                Files.createDirectories(blob.getParent());
                moveAtomically(temp, blob);
                syncDirectory(blob.getParent());
            } finally {
                Files.deleteIfExists(temp);
            }
            Instant now = clock.instant();
            synchronized (dbLock) {
                ensureOpen();
                try (PreparedStatement ps = db.prepareStatement(
                        "MERGE INTO entries (action, output, size, put_nanos, last_use_nanos) KEY(action) "
                                + "VALUES (?, ?, ?, ?, ?)")) {
                    ps.setBytes(1, action.bytes());
                    ps.setBytes(2, output.bytes());
                    ps.setLong(3, size);
                    ps.setLong(4, toNanos(now));
                    ps.setLong(5, toNanos(now));
                    ps.executeUpdate();
                } catch (SQLException e) {
                    throw new IOException("index update for " + action + ": " + e.getMessage(), e);
                }
            }
            return new Entry(output, size, now, blob);
        } finally {
            open.readLock().unlock();
        }
    }

    /**
     * Creates an empty file in {@code tmp/} with a fresh name. Unlike createTempFile (mode 0600),
     * it takes the process umask's mode, as cmd/go's own cache files do, so that a store can be
     * shared by several users of one group.
     */
    private Path newTempFile() throws IOException {
        while (true) {
            Path p = tmp.resolve("put-" + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
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

    private static boolean isIntact(Path blob, long size) {
        try {
            BasicFileAttributes a = Files.readAttributes(blob, BasicFileAttributes.class);
            return a.isRegularFile() && a.size() == size;
        } catch (IOException e) {
            return false;
        }
    }

    private void touch(Digest action, Instant now) throws IOException {
        synchronized (dbLock) {
            ensureOpen();
            try (PreparedStatement ps = db.prepareStatement(
                    "UPDATE entries SET last_use_nanos = ? WHERE action = ?")) {
                ps.setLong(1, toNanos(now));
                ps.setBytes(2, action.bytes());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IOException("index update of last use for " + action + ": " + e.getMessage(), e);
            }
        }
    }

    private void delete(Digest action, Digest output) throws IOException {
        synchronized (dbLock) {
            ensureOpen();
            try (PreparedStatement ps = db.prepareStatement(
                    "DELETE FROM entries WHERE action = ? AND output = ?")) {
                ps.setBytes(1, action.bytes());
                ps.setBytes(2, output.bytes());
                ps.executeUpdate();
            } catch (SQLException e) {
                throw new IOException("index delete of " + action + ": " + e.getMessage(), e);
            }
        }
    }

    private void removeStaleTemps() {
        Instant cutoff = clock.instant().minus(STALE_TEMP);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                try {
                    if (Files.getLastModifiedTime(p).toInstant().isBefore(cutoff)) {
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
                try {
                    db.close();
                } catch (SQLException e) {
                    throw new IOException("close index: " + e.getMessage(), e);
                }
            }
        } finally {
            open.writeLock().unlock();
        }
    }

    private static long toNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    private static Instant fromNanos(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
