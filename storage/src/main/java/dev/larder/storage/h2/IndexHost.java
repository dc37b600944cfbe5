package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.h2.tools.Server;

/**
 * The owner of one store's index, in this process: it holds the store's {@code server.lock}, has
 * the H2 index open in-process, and serves it on loopback (its port in {@code server.properties})
 * to every other larder process using the store. Whoever holds the lock owns the store: the
 * standalone {@link IndexServer} process, or a daemon that hosts its stores itself
 * ({@link LocalStore#hostInProcess}). Connections made here ({@link #connect}) are embedded: no
 * network round trip per statement.
 *
 * <p>Thread-safe. {@link #close} stops the loopback server, unpublishes it and releases the lock;
 * the next process to need the store becomes its owner.
 */
final class IndexHost implements AutoCloseable {
    private final Path dir;
    private final String url;
    private final String password;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Connection admin;
    private final Server tcp;
    private final Object indexFile;

    private IndexHost(Path dir, String url, String password, FileChannel lockFile, FileLock lock, Connection admin,
            Server tcp) {
        this.dir = dir;
        this.url = url;
        this.password = password;
        this.lockFile = lockFile;
        this.lock = lock;
        this.admin = admin;
        this.tcp = tcp;
        this.indexFile = Index.identity(dir);
    }

    /**
     * Becomes the owner of the store in {@code dir}, if no process is: takes its lock (trying for
     * up to {@code patienceMillis}: a client probing the lock holds it for an instant), opens the
     * index, creates the schema, and publishes a loopback server for other processes.
     *
     * @return the host, or null if another process owns the store
     */
    static IndexHost acquire(Path dir, long patienceMillis) throws IOException, SQLException {
        StoreAccess access = StoreAccess.of(dir);
        FileChannel lockFile = access.openLockFile(dir.resolve(IndexServer.LOCK));
        FileLock lock = null;
        try {
            long deadline = System.nanoTime() + patienceMillis * 1_000_000L;
            while (true) {
                try {
                    lock = lockFile.tryLock();
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    lock = null; // this process holds it already (another host object): not ours to take
                }
                if (lock != null || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lock == null) {
            lockFile.close();
            return null;
        }
        Connection admin = null;
        Server tcp = null;
        try {
            String password = IndexServer.makeSecret(dir, access);
            // async: H2's file system over AsynchronousFileChannel, which a Thread.interrupt()
            // does not close (an interrupted FileChannel is closed, and with it the index, for
            // every session of a process that holds it in-process; tiers interrupt their
            // background threads when a session ends).
            // FILE_LOCK=FS: the operating system's lock, released at once if this process dies.
            // WRITE_DELAY=0: each commit reaches the file before it is acknowledged, so an owner
            // killed right after a put has not lost it (H2 otherwise writes up to 0.5 s late).
            String url = "jdbc:h2:async:" + dir.resolve("index") + ";FILE_LOCK=FS;WRITE_DELAY=0";
            admin = IndexServer.adminConnection(dir, url, password);
            // H2 made the file under the umask (0644 under the usual 022), and anyone who can read
            // it can dump it, password or not.
            access.setFileMode(dir.resolve(IndexSchema.FILE), false);
            access.setFileMode(dir.resolve("index.trace.db"), false);
            IndexSchema.create(admin);
            // h2.bindAddress (set once per process, see bindLoopback) keeps it on loopback.
            bindLoopback();
            tcp = Server.createTcpServer("-tcpPort", "0", "-baseDir", "async:" + dir, "-ifExists");
            tcp.start();
            IndexServer.publish(dir, tcp.getPort(), access);
            return new IndexHost(dir, url, password, lockFile, lock, admin, tcp);
        } catch (IOException | SQLException | RuntimeException e) {
            if (tcp != null) {
                tcp.stop();
            }
            if (admin != null) {
                try {
                    admin.close();
                } catch (SQLException ignored) {
                    // already failing
                }
            }
            lock.release();
            lockFile.close();
            throw e;
        }
    }

    /** H2 would accept on every interface, then refuse; loopback alone is what clients use. */
    private static void bindLoopback() {
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    /** A new embedded connection to the index. */
    Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "larder");
        p.setProperty("password", password);
        return org.h2.Driver.load().connect(url, p);
    }

    /** The connection this host keeps open (which keeps the database open between clients). */
    Connection admin() {
        return admin;
    }

    Path dir() {
        return dir;
    }

    /** Whether the store is still there: its index file is the one this host opened. */
    boolean storeExists() {
        Object now = Index.identity(dir);
        return now != null && now.equals(indexFile);
    }

    @Override
    public void close() {
        IndexServer.unpublish(dir);
        tcp.stop();
        try {
            admin.close();
        } catch (SQLException ignored) {
            // closing anyway
        }
        try {
            lock.release();
            lockFile.close();
        } catch (IOException ignored) {
            // the lock goes with the channel, or with the process
        }
    }
}
