package dev.larder.storage.h2;

import java.io.IOException;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
     * A connection to the index of the store in {@code dir}, through its server.
     *
     * @throws SQLException if no server can be reached or started within {@link #START_PATIENCE}
     */
    static Connection connect(Path dir) throws SQLException {
        SQLException last = null;
        try {
            Connection c = tryConnect(dir);
            if (c != null) {
                return c;
            }
        } catch (SQLException e) {
            last = e;
        }
        startServer(dir);
        long deadline = System.nanoTime() + START_PATIENCE.toNanos();
        long pause = 10;
        while (System.nanoTime() < deadline) {
            try {
                Connection c = tryConnect(dir);
                if (c != null) {
                    return c;
                }
            } catch (SQLException e) {
                last = e;
            }
            if (!serverRunning(dir)) {
                startServer(dir);
            }
            sleep(pause);
            pause = Math.min(200, pause * 2);
        }
        String log = serverLog(dir);
        throw new SQLException("no index server for " + dir + " within " + START_PATIENCE.toSeconds() + " s"
                + (last != null ? " (" + last.getMessage() + ")" : "") + (log.isEmpty() ? "" : "; server.log: " + log),
                "08001", org.h2.api.ErrorCode.CONNECTION_BROKEN_1, last);
    }

    private static Connection tryConnect(Path dir) throws SQLException {
        Properties address;
        try {
            address = readAddress(dir);
        } catch (IOException e) {
            return null;
        }
        if (address == null) {
            return null;
        }
        Properties p = new Properties();
        p.setProperty("user", "larder");
        try {
            p.setProperty("password", IndexServer.secret(dir));
        } catch (IOException e) {
            throw new SQLException("cannot read " + dir.resolve(IndexServer.SECRET) + ": " + e.getMessage(), "28000",
                    org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD, e);
        }
        return org.h2.Driver.load().connect("jdbc:h2:tcp://127.0.0.1:" + address.getProperty("port").trim()
                + "/index;IFEXISTS=TRUE", p);
    }

    /** Whether a server holds the store's server lock (checked by trying to take it). */
    private static boolean serverRunning(Path dir) {
        try (FileChannel ch = FileChannel.open(dir.resolve(IndexServer.LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
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

    /** Starts a server process for {@code dir}, detached from this one (it outlives it). */
    private static void startServer(Path dir) {
        if (serverRunning(dir)) {
            return;
        }
        Optional<String> java = ProcessHandle.current().info().command();
        List<String> cmd = new ArrayList<>();
        // A session of its own: a Ctrl-C that stops the go command (its whole process group)
        // must not take the store's server down with it.
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(java.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                IndexServer.class.getName(), dir.toString()));
        try {
            Path log = dir.resolve("server.log");
            new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            LOG.log(System.Logger.Level.DEBUG, () -> "started an index server for " + dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start an index server for " + dir + ": " + e.getMessage());
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
