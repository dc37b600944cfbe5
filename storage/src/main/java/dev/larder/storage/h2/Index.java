package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import org.h2.api.ErrorCode;

/**
 * One store's connections to its index, and the retry that carries work across a change of the
 * index's owner. Thread-safe: each piece of work ({@link #withDb}) runs on a connection no other
 * thread uses meanwhile. What the work does (the SQL) lives in {@link IndexRows}, {@link BlobLocks},
 * {@link SessionRows} and {@link Upkeep}; the tables in {@link IndexSchema}.
 */
final class Index {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** How long a statement keeps trying to reach an index that is changing hands. */
    private static final Duration RECONNECT_PATIENCE = Duration.ofSeconds(60);
    /**
     * How many statements may run on the index at once. A daemon serves many sessions of eight
     * workers; beyond this many, work waits for a connection.
     */
    private static final int MAX_CONNECTIONS = 16;

    private final Path root;
    /**
     * Connections to the index not in use now. One JDBC connection is not safe for concurrent
     * use, so each {@link #withDb} borrows one of its own: puts, gets and upkeep run their
     * transactions side by side (as clients in other processes do), and a put's fsyncs hold up
     * no other request. Guarded by {@link #lock}.
     */
    private final ArrayDeque<Connection> idle = new ArrayDeque<>();
    /** Connections open now, idle or lent; at most {@link #MAX_CONNECTIONS}. Guarded by {@link #lock}. */
    private int connections;
    /** Lent connections, so that work inside work (on one thread) reuses the outer connection. */
    private final ThreadLocal<Connection> lent = new ThreadLocal<>();
    /** Guards {@link #idle}, {@link #connections} and closing. */
    private final Object lock = new Object();
    private volatile boolean closed;

    /** Connections to the index of the store in {@code root}, none made yet. */
    Index(Path root) {
        this.root = root;
    }

    /** The identity (device and inode) of the index file of the store in {@code root}, or null if it is missing. */
    static Object identity(Path root) {
        try {
            return Files.readAttributes(root.resolve(IndexSchema.FILE), BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** One piece of work against the index, run with the connection to it. */
    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    /** Work on the index that may also touch files, run as one transaction. */
    @FunctionalInterface
    interface TxWork<T> {
        T run() throws SQLException, IOException;
    }

    /**
     * Runs {@code work} on a connection to the index that no other thread uses meanwhile (other
     * threads' work runs on theirs, at the same time), connecting first if need be; work inside
     * work on one thread shares the outer connection. When the connection breaks because the
     * process serving the index to this one exited, or the file is between owners, it reconnects
     * and runs {@code work} again, for up to {@link #RECONNECT_PATIENCE}: every piece of work must
     * be safe to run twice. Upkeep takes the index in short steps like this, so gets and puts go
     * on between them.
     *
     * @throws IOException naming {@code what}, if the index fails otherwise or stays unreachable,
     *                     or once this index is closed
     */
    <T> T withDb(String what, SqlWork<T> work) throws IOException {
        Connection outer = lent.get();
        if (outer != null) {
            return work(what, work, outer, false);
        }
        return work(what, work, borrow(), true);
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

    /** Runs {@code work} on {@code c} (null: connect first), reconnecting as {@link #withDb} says. */
    private <T> T work(String what, SqlWork<T> work, Connection c, boolean own) throws IOException {
        long deadline = System.nanoTime() + RECONNECT_PATIENCE.toNanos();
        try {
            for (int attempt = 0; ; attempt++) {
                try {
                    if (c == null) {
                        c = IndexClient.connect(root);
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
        synchronized (lock) {
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
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the index", e);
                }
            }
        }
    }

    /** Returns a lent connection (null: none could be opened); after close, closes it. */
    private void giveBack(Connection c) {
        synchronized (lock) {
            if (c == null || closed) {
                connections--;
                closeQuietly(c);
            } else {
                idle.addFirst(c);
            }
            lock.notifyAll();
        }
    }

    /**
     * Errors worth running the work again for: the connection to the index broke (its server
     * exited or was replaced), the index is being opened by another process right now, or a
     * transaction lost a lock conflict.
     */
    private static boolean isTransient(SQLException e) {
        return switch (e.getErrorCode()) {
            case ErrorCode.CONNECTION_BROKEN_1,
                    ErrorCode.DATABASE_CALLED_AT_SHUTDOWN,
                    ErrorCode.DATABASE_IS_CLOSED,
                    ErrorCode.OBJECT_CLOSED,
                    ErrorCode.ERROR_OPENING_DATABASE_1,
                    ErrorCode.DATABASE_ALREADY_OPEN_1,
                    // two transactions wanted each other's locks, or waited too long: run again
                    ErrorCode.DEADLOCK_1,
                    ErrorCode.LOCK_TIMEOUT_1,
                    ErrorCode.CONCURRENT_UPDATE_1 -> true;
            default -> e instanceof SQLTransientConnectionException
                    || e instanceof SQLNonTransientConnectionException;
        };
    }

    private static void pause(int attempt) {
        long millis = Math.min(500, 10L << Math.min(attempt, 6));
        try {
            Thread.sleep(millis + ThreadLocalRandom.current().nextLong(millis + 1));
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

    /** Whether {@link #close} has begun; work started after it fails. */
    boolean closed() {
        return closed;
    }

    /** Throws IOException ({@code store is closed}) once {@link #close} has begun; else nothing. */
    void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("store is closed");
        }
    }

    /**
     * Closes every connection, after the work in progress on other threads ends; later work
     * fails. Idempotent.
     */
    void close() throws IOException {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            // Work in progress on other threads (gets) ends first, as it did when one lock
            // guarded one connection; their connections are closed as they come back.
            while (connections > idle.size()) {
                try {
                    lock.wait();
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
    }
}
