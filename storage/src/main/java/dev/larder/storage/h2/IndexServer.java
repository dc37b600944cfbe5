package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Properties;
import org.h2.tools.Server;

/**
 * The per-store index server: one background process per store directory owns the H2 index and
 * serves it on loopback to every larder process using the store, so that none of them ever waits
 * for another to hand the index over. Clients start it on demand ({@link IndexClient}); it exits
 * after {@link #idle() an idle while} with no client, or when its store directory disappears, and
 * the next client starts a new one.
 *
 * <p>Files in the store directory: {@code server.lock} (held while a server runs: at most one per
 * store), {@code server.properties} (port, pid and a fresh password, readable by the owner
 * only), {@code server.log} (its stderr).
 */
public final class IndexServer {
    static final String LOCK = "server.lock";
    static final String ADDRESS = "server.properties";
    private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

    private IndexServer() {
    }

    /** How long a server waits without clients before it exits: {@code LARDER_SERVER_IDLE} seconds, default 600. */
    static Duration idle() {
        String s = System.getenv("LARDER_SERVER_IDLE");
        try {
            return s == null ? Duration.ofMinutes(10) : Duration.ofSeconds(Long.parseLong(s.trim()));
        } catch (NumberFormatException e) {
            return Duration.ofMinutes(10);
        }
    }

    /** {@code IndexServer DIR}: serves the index of the store in DIR until idle. */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: IndexServer STORE_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]).toAbsolutePath().normalize();
        System.exit(serve(dir, idle()));
    }

    static int serve(Path dir, Duration idle) throws IOException, SQLException, InterruptedException {
        try (FileChannel lockFile = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) {
                return 0; // another server has the store: it serves our clients too
            }
            String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
            Properties p = new Properties();
            p.setProperty("user", "larder");
            p.setProperty("password", "");
            // FILE_LOCK=FS: the operating system's lock, released at once if this process dies.
            String url = "jdbc:h2:file:" + dir.resolve("index") + ";FILE_LOCK=FS";
            try (Connection admin = org.h2.Driver.load().connect(url, p)) {
                H2Store.createSchema(admin);
                try (PreparedStatement ps = admin.prepareStatement("ALTER USER larder SET PASSWORD ?")) {
                    ps.setString(1, password);
                    ps.executeUpdate();
                }
                Server tcp = Server.createTcpServer("-tcpPort", "0", "-baseDir", dir.toString(), "-ifExists");
                tcp.start();
                try {
                    publish(dir, tcp.getPort(), password);
                    waitUntilIdle(dir, admin, idle);
                } finally {
                    unpublish(dir);
                    tcp.stop();
                }
            }
            lock.release();
            return 0;
        }
    }

    private static void publish(Path dir, int port, String password) throws IOException {
        Path tmp = Files.createTempFile(dir, ".server-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, "port=" + port + "\npid=" + ProcessHandle.current().pid() + "\npassword=" + password
                + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(ADDRESS), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void unpublish(Path dir) {
        try {
            Properties p = IndexClient.readAddress(dir);
            if (p != null && String.valueOf(ProcessHandle.current().pid()).equals(p.getProperty("pid"))) {
                Files.deleteIfExists(dir.resolve(ADDRESS));
            }
        } catch (IOException ignored) {
            // a client finds the server gone either way
        }
    }

    /** Returns when no client has been connected for {@code idle}, or the store is gone. */
    private static void waitUntilIdle(Path dir, Connection admin, Duration idle)
            throws SQLException, InterruptedException {
        long idleSince = System.nanoTime();
        while (true) {
            Thread.sleep(CHECK_EVERY.toMillis());
            if (!Files.isDirectory(dir) || !Files.exists(dir.resolve("index.mv.db"))) {
                return;
            }
            long sessions;
            try (PreparedStatement ps = admin.prepareStatement("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                sessions = rs.getLong(1);
            }
            if (sessions > 1) {
                idleSince = System.nanoTime();
            } else if (System.nanoTime() - idleSince > idle.toNanos()) {
                return;
            }
        }
    }
}
