package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real projects from Debian's source packages built under {@code bin/larder run}, as a user
 * would: lz4 (plain recursive Makefiles) and GNU bc (autotools), each recorded, then
 * {@code make clean} (untraced), then replayed. A replay must be a hit that runs nothing and puts
 * back every file the build made, byte for byte and with its mode, and the replayed program must
 * work.
 *
 * <p>The sources are not committed: {@code .ci/fetch-debian-sources} unpacks them into
 * {@code $LARDER_SOURCES} (default {@code ~/.cache/larder-sources}). Without them the tests are
 * skipped with the reason, unless {@code LARDER_REQUIRE_SOURCES=1} (set by CI), where they fail.
 * Each test builds a copy of the tree in its own temp dir, with its own store.
 */
class RealProjectsIT {
    /** Bounded wait for an untraced step; a traced one has {@link LarderRun}'s own bound. */
    private static final long UNTRACED_MINUTES = 10;

    @TempDir
    Path tmp;

    private Path store;
    private int launches;

    @BeforeEach
    void dirs() {
        store = tmp.resolve("store");
    }

    /** One finished {@code larder run}, with its counters. */
    private record Run(LarderRun run, RunStats stats, String what) {
        String describe() {
            return what + ": exit " + run.exit() + ", stats " + stats + "\nstdout:\n" + tail(run.stdout())
                    + "\nstderr:\n" + tail(run.stderr());
        }
    }

    /** The last 40 lines of {@code s}: enough for a failed make, short enough to read. */
    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    // ---- the projects ----

    @Test
    void lz4_makeReplaysAfterMakeClean() throws Exception {
        Path src = copyOfSource("lz4", "make", "cc");
        Map<String, String> before = tree(src);

        Run cold = larder(src, "make", "-j2");
        assertEquals(0, cold.run().exit(), cold.describe());
        Map<String, String> built = madeBy(before, tree(src));
        for (String f : List.of("lz4", "programs/lz4", "lib/liblz4.a", "lib/lz4.o", "programs/lz4cli.o")) {
            assertTrue(built.containsKey(f), f + " was not built; built: " + built.keySet());
        }
        assertWorksLz4(src.resolve("programs/lz4"), "the traced build's programs/lz4");

        makeClean(src, "lz4", "programs/lz4", "lib/liblz4.a", "lib/lz4.o");
        Run replay = larder(src, "make", "-j2");
        assertReplayed(replay, cold, built, src);
        assertWorksLz4(src.resolve("programs/lz4"), "the replayed programs/lz4");
        assertWorksLz4(src.resolve("lz4"), "the replayed lz4");
    }

    /**
     * GNU bc as Debian builds it: {@code autoreconf -fi} first (untraced; Debian's patch to
     * {@code bc/Makefile.am} would otherwise make make run the automake 1.14 the tarball was made
     * with), then {@code ./configure} and {@code make -j2} under larder. Two runs in one tree
     * read what the first one wrote (configure finds its own Makefile, make its own
     * {@code .deps/*.Po} dependency lists, which {@code make clean} keeps): each is recorded
     * again once, and from then on replayed.
     */
    @Test
    void bc_configureAndMakeReplayAfterMakeClean() throws Exception {
        Path src = copyOfSource("bc", "make", "cc", "autoreconf", "makeinfo");
        untraced(src, Path.of("/dev/null"), "autoreconf", "-fi");

        Run configure = larder(src, "./configure");
        assertEquals(0, configure.run().exit(), configure.describe());
        Map<String, String> configured = tree(src);
        assertTrue(configured.containsKey("Makefile"), "configure wrote no Makefile; " + configure.describe());
        Run again = larder(src, "./configure");
        assertEquals(0, again.run().exit(), again.describe());
        assertEquals(configured.get("config.h"), tree(src).get("config.h"), "config.h of the second configure");
        Run third = larder(src, "./configure");
        assertEquals("hit", third.stats().result(), "the third configure in one tree: " + third.describe());
        assertEquals(configured.get("Makefile"), tree(src).get("Makefile"), "the replayed Makefile");
        Map<String, String> before = tree(src);

        Run cold = larder(src, "make", "-j2");
        assertEquals(0, cold.run().exit(), cold.describe());
        Map<String, String> built = madeBy(before, tree(src));
        for (String f : List.of("bc/bc", "dc/dc", "lib/libbc.a", "bc/main.o", "lib/.deps/number.Po")) {
            assertTrue(built.containsKey(f), f + " was not built; built: " + built.keySet());
        }
        assertWorksBc(src, "the traced build's bc/bc");

        String[] cleaned = {"bc/bc", "dc/dc", "lib/libbc.a", "bc/main.o"};
        makeClean(src, cleaned);
        Run second = larder(src, "make", "-j2");
        assertEquals(0, second.run().exit(), second.describe());
        assertEquals(built, madeBy(before, tree(src)), "what the second build made, against the first");
        makeClean(src, cleaned);
        Run replay = larder(src, "make", "-j2");
        assertReplayed(replay, second, built, src);
        assertWorksBc(src, "the replayed bc/bc");
    }

    // ---- steps ----

    /**
     * A copy of the unpacked source tree {@code name} in this test's temp dir (its real path, as
     * larder records it), with modification times kept, as make compares them; skipped or failed
     * when the tree or a {@code tool} is missing.
     */
    private Path copyOfSource(String name, String... tools) throws IOException {
        Path from = sourcesDir().resolve(name);
        require(Files.isDirectory(from), "the Debian source of " + name + " is not at " + from
                + "; fetch it with .ci/fetch-debian-sources");
        for (String tool : tools) {
            require(onPath(tool), tool + " is not on PATH: " + name + " cannot be built");
        }
        Path to = Files.createDirectories(tmp.resolve(name)).toRealPath();
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (!p.equals(from)) {
                    Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        return to;
    }

    static Path sourcesDir() {
        String env = System.getenv("LARDER_SOURCES");
        return env != null && !env.isEmpty()
                ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "larder-sources");
    }

    /** Skips the test with {@code reason} unless {@code ok}; fails it instead under LARDER_REQUIRE_SOURCES=1. */
    private static void require(boolean ok, String reason) {
        if (ok) {
            return;
        }
        if ("1".equals(System.getenv("LARDER_REQUIRE_SOURCES"))) {
            throw new AssertionError(reason + " (LARDER_REQUIRE_SOURCES=1 forbids skipping)");
        }
        Assumptions.abort(reason);
    }

    private static boolean onPath(String tool) {
        for (String dir : Objects.requireNonNullElse(System.getenv("PATH"), "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** {@code larder run --dir STORE --explain --stats-json F -- COMMAND} in {@code dir}. */
    private Run larder(Path dir, String... command) throws Exception {
        Path stats = tmp.resolve("stats-" + ++launches + ".json");
        List<String> args = new ArrayList<>(List.of("run", "--dir", store.toString(), "--explain", "--stats-json",
                stats.toString(), "--"));
        args.addAll(List.of(command));
        LarderRun r = LarderRun.in(dir, tmp, Map.of(), args.toArray(String[]::new));
        String what = "larder run -- " + String.join(" ", command);
        assertTrue(Files.isRegularFile(stats), what + " wrote no --stats-json file; stderr:\n" + r.stderr());
        return new Run(r, StatsJson.run(stats), what);
    }

    /** COMMAND untraced in {@code dir}, stdin from {@code stdin}; returns its stdout. */
    private String untraced(Path dir, Path stdin, String... command) throws Exception {
        int n = ++launches;
        Path out = tmp.resolve("untraced-" + n + ".out");
        Path err = tmp.resolve("untraced-" + n + ".err");
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        String what = String.join(" ", command);
        if (!p.waitFor(UNTRACED_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not finish in " + UNTRACED_MINUTES + " minutes");
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), what + ": exit " + p.exitValue() + "\nstdout:\n" + tail(stdout) + "\nstderr:\n"
                + tail(Files.readString(err, StandardCharsets.UTF_8)));
        return stdout;
    }

    /** Plain {@code make clean}, untraced; {@code gone} are outputs it must have removed. */
    private void makeClean(Path src, String... gone) throws Exception {
        untraced(src, Path.of("/dev/null"), "make", "clean");
        for (String f : gone) {
            assertFalse(Files.exists(src.resolve(f), LinkOption.NOFOLLOW_LINKS), f + " after make clean");
        }
    }

    // ---- checks ----

    /**
     * The state of every file under {@code root} by relative path: a regular file's SHA-256 and
     * mode, a symlink's target.
     */
    private static Map<String, String> tree(Path root) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) {
                    m.put(rel, "symlink to " + Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(rel, sha256(p) + " " + PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)));
                }
            }
        }
        return m;
    }

    private static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("no SHA-256 in this JVM", e);
        }
    }

    /** The files of {@code after} that are new or changed since {@code before}. */
    private static Map<String, String> madeBy(Map<String, String> before, Map<String, String> after) {
        Map<String, String> made = new TreeMap<>(after);
        made.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
        return made;
    }

    /**
     * {@code replay} was a hit that ran nothing, with the recorded run's exit code, and every file
     * in {@code built} is back as it was.
     */
    private static void assertReplayed(Run replay, Run cold, Map<String, String> built, Path src)
            throws IOException {
        RunStats s = replay.stats();
        assertEquals("hit", s.result(), "after make clean: got " + s.result() + ", want hit; " + replay.describe());
        assertEquals(0, s.executions(), "executions on a hit: got " + s.executions() + ", want 0; " + replay.describe());
        assertEquals(cold.stats().executions(), s.skipped(), "skipped: got " + s.skipped() + ", want the "
                + cold.stats().executions() + " programs of the recorded run");
        assertEquals(0, replay.run().exit(), replay.describe());
        Map<String, String> now = tree(src);
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> e : built.entrySet()) {
            String got = now.get(e.getKey());
            if (!e.getValue().equals(got)) {
                wrong.add(e.getKey() + ": got " + got + ", want " + e.getValue());
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " of " + built.size() + " built files not replayed as built:\n"
                + String.join("\n", wrong) + "\n" + replay.describe());
    }

    /** {@code lz4} compresses and decompresses a file back to the same bytes. */
    private void assertWorksLz4(Path lz4, String what) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("lz4-check-" + ++launches));
        StringBuilder text = new StringBuilder();
        Random r = new Random(15);
        for (int i = 0; i < 20_000; i++) {
            text.append("word").append(r.nextInt(500)).append(i % 13 == 0 ? '\n' : ' ');
        }
        Path in = dir.resolve("in.txt");
        Files.writeString(in, text, StandardCharsets.UTF_8);
        untraced(dir, Path.of("/dev/null"), lz4.toString(), "-q", "in.txt", "in.txt.lz4");
        untraced(dir, Path.of("/dev/null"), lz4.toString(), "-d", "-q", "in.txt.lz4", "out.txt");
        assertTrue(Files.size(dir.resolve("in.txt.lz4")) < Files.size(in), what + " did not compress");
        assertEquals(sha256(in), sha256(dir.resolve("out.txt")), what + ": the round trip changed the file");
    }

    /** {@code bc/bc} computes 2^64. */
    private void assertWorksBc(Path src, String what) throws Exception {
        Path input = tmp.resolve("bc-input.txt");
        Files.writeString(input, "2^64\n", StandardCharsets.UTF_8);
        String out = untraced(src, input, "./bc/bc");
        assertEquals("18446744073709551616\n", out, what + ": 2^64");
    }
}
