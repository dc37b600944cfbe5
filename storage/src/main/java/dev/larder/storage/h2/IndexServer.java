package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * store), {@code server.properties} (its port and pid), {@code server.secret} (the index's
 * password, made once, readable by the store's owner only, or by its group in a group store),
 * {@code server.log} (its stderr); each with the store's modes ({@link StoreAccess}).
 */
public final class IndexServer {
    static final String LOCK = "server.lock";
    static final String ADDRESS = "server.properties";
    static final String SECRET = "server.secret";
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
        // Loaded now, while the jar is surely there: unpublish needs it at the end, when an
        // upgrade may have replaced the jar, and a class that cannot load then would leave the
        // H2 TCP threads keeping this process alive for ever.
        IndexClient.readAddress(dir);
        int code = 1;
        try {
            code = serve(dir, idle());
        } catch (Throwable t) {
            System.err.println("index server: " + t);
        } finally {
            // halt, not exit: nothing may keep the process, and no shutdown hook needs loading.
            Runtime.getRuntime().halt(code);
        }
    }

    static int serve(Path dir, Duration idle) throws IOException, SQLException, InterruptedException {
        IndexHost host = IndexHost.acquire(dir, 1000);
        if (host == null) {
            return 0; // another process owns the store: it serves our clients too
        }
        try {
            waitUntilIdle(dir, host.admin(), idle);
        } finally {
            host.close();
        }
        return 0;
    }

    /**
     * Connects with the store's secret. An index from before there was a secret (password empty)
     * is given it. An index whose password is neither (its secret was deleted) cannot be opened
     * by anyone: it is moved aside and a new, empty one made; its blobs become files no entry
     * names, which `larder verify --repair` removes.
     */
    static Connection adminConnection(Path dir, String url, String password) throws SQLException, IOException {
        try {
            return connect(url, password);
        } catch (SQLException e) {
            if (e.getErrorCode() != org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw e;
            }
        }
        try {
            Connection c = connect(url, "");
            try (PreparedStatement ps = c.prepareStatement("ALTER USER larder SET PASSWORD ?")) {
                ps.setString(1, password);
                ps.executeUpdate();
            }
            return c;
        } catch (SQLException e) {
            if (e.getErrorCode() != org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD) {
                throw e;
            }
        }
        Path aside = dir.resolve(IndexSchema.FILE + ".lost-" + System.currentTimeMillis());
        Files.move(dir.resolve(IndexSchema.FILE), aside);
        System.err.println("larder index server: the index's password is not in " + SECRET
                + " (was it replaced?): moved the index to " + aside + " and started an empty one");
        Connection c = connect(url, "");
        try (PreparedStatement ps = c.prepareStatement("ALTER USER larder SET PASSWORD ?")) {
            ps.setString(1, password);
            ps.executeUpdate();
        }
        return c;
    }

    private static Connection connect(String url, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "larder");
        p.setProperty("password", password);
        return org.h2.Driver.load().connect(url, p);
    }

    /** The store's secret, or null if it has none yet. */
    static String readSecret(Path dir) throws IOException {
        try {
            String s = Files.readString(dir.resolve(SECRET), StandardCharsets.UTF_8).trim();
            return s.isEmpty() ? null : s;
        } catch (java.nio.file.NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The store's secret, made by the first server (readable by the store's owner only, or by its
     * group too in a group store ({@link StoreAccess}); written in full and fsynced before it
     * appears under its name) and kept from then on.
     */
    static String makeSecret(Path dir, StoreAccess access) throws IOException {
        String existing = readSecret(dir);
        if (existing != null) {
            // A store made private, or made a group store, since: the secret follows (if ours).
            access.setFileMode(dir.resolve(SECRET), true);
            return existing;
        }
        Path file = dir.resolve(SECRET);
        Path tmp = access.createTempFile(dir, ".secret-", true);
        try {
            byte[] key = new byte[16];
            new SecureRandom().nextBytes(key);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap((HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            try {
                Files.createLink(file, tmp); // fails if another process made one first: keep that one
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // theirs stands
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return readSecret(dir);
    }

    static void publish(Path dir, int port, StoreAccess access) throws IOException {
        Path tmp = access.createTempFile(dir, ".server-", false);
        Files.writeString(tmp, "port=" + port + "\npid=" + ProcessHandle.current().pid() + "\n",
                StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(ADDRESS), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void unpublish(Path dir) {
        try {
            Properties p = IndexClient.readAddress(dir);
            if (p != null && String.valueOf(ProcessHandle.current().pid()).equals(p.getProperty("pid"))) {
                Files.deleteIfExists(dir.resolve(ADDRESS));
            }
        } catch (IOException | LinkageError ignored) {
            // a client finds the server gone either way
        }
    }

    /** Returns when no client has been connected for {@code idle}, or the store is gone. */
    private static void waitUntilIdle(Path dir, Connection admin, Duration idle)
            throws SQLException, InterruptedException {
        long idleSince = System.nanoTime();
        while (true) {
            Thread.sleep(CHECK_EVERY.toMillis());
            if (!Files.isDirectory(dir) || !Files.exists(dir.resolve(IndexSchema.FILE))) {
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
