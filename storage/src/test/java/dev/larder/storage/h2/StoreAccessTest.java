package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The modes of a store's files: private whatever the umask, narrowed when found open, and a group store. */
class StoreAccessTest {
    @TempDir
    Path tmp;

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static void setMode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    /** Every path in {@code root} (itself included) with its mode in octal. */
    private static Map<Path, String> modes(Path root) throws IOException {
        Map<Path, String> out = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                out.put(root.relativize(p), String.format("%04o", mode(p)));
            }
        }
        return out;
    }

    /** Runs {@link StoreWriter} on {@code store} in a JVM of its own under {@code umask}; the index server it starts inherits it. */
    private void writeUnderUmask(Path store, String umask) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder("/bin/sh", "-c", "umask " + umask + " && exec \"$0\" \"$@\"", java,
                "-cp", System.getProperty("java.class.path"), StoreWriter.class.getName(), store.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("writer.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the writer did not finish");
        assertEquals(0, p.exitValue(), "writer: " + Files.readString(tmp.resolve("writer.log")));
    }

    /** The paths in {@code modes} whose mode is not {@code want}. */
    private static List<String> otherThan(Map<Path, String> modes, String wantDir, String wantFile, Path root)
            throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<Path, String> e : modes.entrySet()) {
            Path p = root.resolve(e.getKey());
            String want = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? wantDir
                    : p.getFileName().toString().equals(IndexServer.SECRET) && !wantFile.equals("0600") ? "0640"
                    : wantFile;
            if (!e.getValue().equals(want)) {
                wrong.add(e.getKey() + " " + e.getValue() + " (want " + want + ")");
            }
        }
        return wrong;
    }

    @Test
    void open_underUmask000_makesEverythingPrivate() throws Exception {
        Path store = tmp.resolve("store");
        writeUnderUmask(store, "000");
        Map<Path, String> modes = modes(store);
        assertTrue(modes.containsKey(Path.of(IndexSchema.FILE)) && modes.containsKey(Path.of(IndexServer.SECRET)),
                "the store's files: " + modes);
        assertEquals(List.of(), otherThan(modes, "0700", "0600", store), "modes under umask 000: " + modes);
    }

    @Test
    void open_storeOpenToOthers_narrowsItAndEverythingInItOnceWithOneWarning() throws Exception {
        // Reached through a link, as a store moved to a bigger disk is.
        Path real = Files.createDirectories(tmp.resolve("disk").resolve("store"));
        Path store = Files.createSymbolicLink(tmp.resolve("store"), real);
        byte[] body = "made by an earlier larder".getBytes(UTF_8);
        try (LocalStore s = LocalStore.open(store)) {
            s.put(Digest.sha256("a".getBytes(UTF_8)), Digest.sha256(body), body.length, new ByteArrayInputStream(body));
        }
        try (Stream<Path> all = Files.walk(real)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                setMode(p, Files.isDirectory(p) ? 0755 : 0644);
            }
        }
        List<LogRecord> warnings = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger("dev.larder.storage");
        log.addHandler(h);
        try {
            try (LocalStore s = LocalStore.open(store)) {
                assertTrue(s.get(Digest.sha256("a".getBytes(UTF_8))).isPresent(), "the entry after narrowing");
            }
            assertEquals(List.of(), otherThan(modes(real), "0700", "0600", real), "modes after reopening");
            assertEquals(1, warnings.size(), "warnings: " + warnings.stream().map(LogRecord::getMessage).toList());
            assertTrue(warnings.get(0).getMessage().contains("was open to group and others (mode 0755): made it private"),
                    warnings.get(0).getMessage());
            LocalStore.open(store).close();
            assertEquals(1, warnings.size(), "a second open warned again");
        } finally {
            log.removeHandler(h);
        }
    }

    @Test
    void open_setgidDirectory_isAGroupStoreWhateverTheUmask() throws Exception {
        Path store = Files.createDirectory(tmp.resolve("team"));
        setMode(store, 02770);
        int gid = (Integer) Files.getAttribute(store, "unix:gid");
        writeUnderUmask(store, "077");
        Map<Path, String> modes = modes(store);
        assertTrue(modes.containsKey(Path.of(IndexServer.SECRET)), "the store's files: " + modes);
        assertEquals(List.of(), otherThan(modes, "2770", "0660", store), "modes of a group store under umask 077: " + modes);
        try (Stream<Path> all = Files.walk(store)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                assertEquals(gid, (Integer) Files.getAttribute(p, "unix:gid"), "group of " + p);
            }
        }
    }

    /** A copy, readable by every user, of the classes and jars {@link StoreWriter} needs (the build's are under /root). */
    private Path publicClassPath() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("cp"));
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (Class<?> c : List.of(StoreWriter.class, LocalStore.class, org.h2.Driver.class,
                org.apache.commons.codec.digest.DigestUtils.class)) {
            Path from = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path to = dir.resolve(i++ + "-" + from.getFileName());
            try (Stream<Path> all = Files.walk(from)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Path q = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(q);
                    } else {
                        Files.copy(p, q);
                    }
                    setMode(q, Files.isDirectory(q) ? 0755 : 0644);
                }
            }
            entries.add(to.toString());
        }
        setMode(dir, 0755);
        return Path.of(String.join(java.io.File.pathSeparator, entries));
    }

    /** Runs {@link StoreWriter} on {@code store} as user and group 65534 (nobody, nogroup), with {@code ops}. */
    private void runAsNobody(Path classPath, Path store, String... ops) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", java, "-cp", classPath.toString(), StoreWriter.class.getName(), store.toString()));
        cmd.addAll(List.of(ops));
        Path log = tmp.resolve("nobody.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the other user's writer did not finish");
        assertEquals(0, p.exitValue(), "the other user's writer " + List.of(ops) + ": " + Files.readString(log));
    }

    private static void killIndexServer(Path store) throws Exception {
        long pid = Long.parseLong(IndexClient.readAddress(store).getProperty("pid").trim());
        ProcessHandle server = ProcessHandle.of(pid).orElseThrow();
        server.destroyForcibly();
        server.onExit().get(30, TimeUnit.SECONDS);
    }

    @Test
    void groupStore_anotherUserOfTheGroup_readsWritesAndTakesTheIndexOver() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs root and setpriv to run as another user");
        setMode(tmp, 0755);
        Path cp = publicClassPath();
        Path store = Files.createDirectory(tmp.resolve("team"));
        Files.setAttribute(store, "unix:gid", 65534);
        setMode(store, 02770);
        // This user makes the store and puts; its index server (this user's) keeps serving.
        byte[] body = "made by the store's first user".getBytes(UTF_8);
        try (LocalStore s = LocalStore.open(store)) {
            s.put(Digest.sha256("mine".getBytes(UTF_8)), Digest.sha256(body), body.length,
                    new ByteArrayInputStream(body));
        }
        // Another user of the group reads it through that server, and puts.
        runAsNobody(cp, store, "get:mine=made by the store's first user", "put:theirs=made by another user");
        // With no server, the other user's process owns the index and its files.
        killIndexServer(store);
        runAsNobody(cp, store, "get:mine=made by the store's first user", "get:theirs=made by another user",
                "put:later=made by another user later");
        try (LocalStore s = LocalStore.open(store)) {
            Entry e = s.get(Digest.sha256("later".getBytes(UTF_8))).orElseThrow();
            assertEquals("made by another user later", Files.readString(e.path(), UTF_8));
        }
        killIndexServer(store);
    }
}
