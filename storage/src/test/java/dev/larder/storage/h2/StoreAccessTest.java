package dev.larder.storage.h2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
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
        Path store = tmp.resolve("store");
        byte[] body = "made by an earlier larder".getBytes(UTF_8);
        try (LocalStore s = LocalStore.open(store)) {
            s.put(Digest.sha256("a".getBytes(UTF_8)), Digest.sha256(body), body.length, new ByteArrayInputStream(body));
        }
        try (Stream<Path> all = Files.walk(store)) {
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
            assertEquals(List.of(), otherThan(modes(store), "0700", "0600", store), "modes after reopening");
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
}
