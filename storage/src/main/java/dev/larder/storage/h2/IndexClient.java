package dev.larder.storage.h2;

import java.io.IOException;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Connects to the store's {@link IndexServer}, starting one when none answers. Many clients may
 * try at once: the server's lock lets one run, and the others find it through its address file.
 */
final class IndexClient {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** How long a client waits for a server it started (a JVM start, an index open). */
    private static final Duration START_PATIENCE = Duration.ofSeconds(30);
    /** Held by the client starting a server, so that one process starts one. */
    static final String START_LOCK = "server.start";

    private IndexClient() {
    }

    /** The server's published address, or null if there is none. */
    static Properties readAddress(Path dir) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve(IndexServer.ADDRESS), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return null;
        }
        return p.getProperty("port") == null ? null : p;
    }

    /**
     * A new connection to the index of the store in {@code dir}: an embedded one if this process
     * hosts its stores ({@link LocalStore#hostInProcess}) and owns this one, else one through the
     * store's index server. When no server answers, this starts one: a detached background JVM
     * ({@link IndexServer}) that outlives the caller, listens on a loopback port, writes its
     * files into {@code dir} (see {@link IndexServer}) and exits once idle.
     *
     * @throws SQLException if no server can be reached or started within {@link #START_PATIENCE}
     */
    static Connection connect(Path dir) throws SQLException {
        if (Hosting.on()) {
            Connection own = HostedStores.connect(dir);
            if (own != null) {
                return own;
            }
        }
        Connection c = attempt(dir, new SQLException[1]);
        if (c != null) {
            return c;
        }
        // One process (and one thread in it) at a time starts a server and waits for it; the
        // others wait for the lock, then find the server it started.
        synchronized (IndexClient.class) {
            try (FileChannel ch = StoreAccess.of(dir).openLockFile(dir.resolve(START_LOCK));
                    FileLock ignored = ch.lock()) {
                return startAndConnect(dir);
            } catch (IOException e) {
                throw new SQLException("cannot lock " + dir.resolve(START_LOCK) + ": " + e.getMessage(), "08001",
                        org.h2.api.ErrorCode.CONNECTION_BROKEN_1, e);
            }
        }
    }

    private static Connection startAndConnect(Path dir) throws SQLException {
        SQLException[] last = new SQLException[1];
        Process started = null;
        long deadline = System.nanoTime() + START_PATIENCE.toNanos();
        long pause = 10;
        while (true) {
            Connection c = attempt(dir, last);
            if (c != null) {
                return c;
            }
            if (Hosting.on()) {
                // A process that hosts its stores takes this one over once its owner is gone.
                Connection own = HostedStores.connect(dir);
                if (own != null) {
                    return own;
                }
            } else if ((started == null || !started.isAlive()) && !serverRunning(dir)) {
                if (started != null && started.exitValue() != 0) {
                    break; // it failed: its log says why
                }
                started = startServer(dir);
            }
            if (System.nanoTime() > deadline) {
                break;
            }
            sleep(pause);
            pause = Math.min(200, pause * 2);
        }
        String log = serverLog(dir);
        throw new SQLException("no index server for " + dir + " within " + START_PATIENCE.toSeconds() + " s"
                + (last[0] != null ? " (" + last[0].getMessage() + ")" : "")
                + (log.isEmpty() ? "" : "; server.log: " + log), "08001", org.h2.api.ErrorCode.CONNECTION_BROKEN_1, last[0]);
    }

    /**
     * One try: a connection, or null when no server answers (the failure, if any, is kept in
     * {@code last[0]}). A wrong password is thrown: no retry can mend it.
     */
    private static Connection attempt(Path dir, SQLException[] last) throws SQLException {
        try {
            return tryConnect(dir);
        } catch (SQLException e) {
            if (e.getErrorCode() == org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw e;
            }
            last[0] = e;
            return null;
        }
    }

    private static Connection tryConnect(Path dir) throws SQLException {
        Properties address;
        try {
            address = readAddress(dir);
        } catch (IOException e) {
            return null;
        }
        if (address == null || !alive(address.getProperty("pid"))) {
            return null; // none, or left by a server that is gone: whatever has its port now is not ours
        }
        String secret;
        try {
            secret = IndexServer.readSecret(dir);
        } catch (IOException e) {
            throw new SQLException("cannot read " + dir.resolve(IndexServer.SECRET) + ": " + e.getMessage(), "28000",
                    org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD, e);
        }
        if (secret == null) {
            return null;
        }
        Properties p = new Properties();
        p.setProperty("user", "larder");
        p.setProperty("password", secret);
        return org.h2.Driver.load().connect("jdbc:h2:tcp://127.0.0.1:" + address.getProperty("port").trim()
                + "/index;IFEXISTS=TRUE", p);
    }

    private static boolean alive(String pid) {
        try {
            return pid != null && ProcessHandle.of(Long.parseLong(pid.trim())).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Whether a server holds the store's server lock (checked by trying to take it). */
    private static boolean serverRunning(Path dir) {
        try (FileChannel ch = StoreAccess.of(dir).openLockFile(dir.resolve(IndexServer.LOCK))) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (IOException | java.nio.channels.OverlappingFileLockException e) {
            return true;
        }
    }

    /** Starts a server process for {@code dir}, detached from this one (it outlives it); null if it cannot. */
    private static Process startServer(Path dir) {
        Optional<String> java = ProcessHandle.current().info().command();
        List<String> cmd = new ArrayList<>();
        // A session of its own: a Ctrl-C that stops the go command (its whole process group)
        // must not take the store's server down with it.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(java.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // h2.bindAddress: listen on loopback only (H2 would accept on every interface, then refuse).
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Xshare:auto", "-Dh2.bindAddress=127.0.0.1",
                "-cp", System.getProperty("java.class.path"),
                IndexServer.class.getName(), dir.toString()));
        try {
            Path log = dir.resolve("server.log");
            if (!Files.exists(log)) {
                try {
                    StoreAccess.of(dir).createFile(log); // appended to below: made with the store's mode
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // another client's server made it
                }
            }
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            LOG.log(System.Logger.Level.DEBUG, () -> "started an index server for " + dir);
            return p;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start an index server for " + dir + ": " + e.getMessage());
            return null;
        }
    }

    private static String serverLog(Path dir) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("server.log"), StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException e) {
            return "";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
