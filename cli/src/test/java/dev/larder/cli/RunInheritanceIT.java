package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/larder run} as users start it, from a shell or a make: the command sees the
 * caller's descriptors above 2 (a redirection, make's jobserver), and a file name the JVM's
 * file-name encoding cannot represent (the C locale) lets the command finish as untraced,
 * uncached, with one line on stderr.
 */
class RunInheritanceIT {
    /** The bytes of "café" in UTF-8, as a shell's printf writes them. */
    private static final String CAFE_PRINTF = "caf\\303\\251";
    private static final byte[] CAFE = "café".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;

    private Path work;
    private Path store;
    private int launches;

    /** One finished {@code larder run}: its exit status, stderr and --stats-json counters (or null). */
    record Run(int exit, String stderr, RunStats stats) {
        @Override
        public RunStats stats() {
            assertTrue(stats != null, "larder run wrote no --stats-json file: " + stderr);
            return stats;
        }

        String describe() {
            return "exit " + exit + ", stats " + stats + "\nstderr:\n" + stderr;
        }
    }

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        store = tmp.resolve("store");
    }

    /**
     * {@code sh -c SCRIPT larder run --dir STORE --stats-json F -- COMMAND} in the work dir: SCRIPT
     * runs the larder command line as {@code "$@"}, with redirections of its own; {@code env}
     * entries with a null value are removed.
     */
    private Run viaShell(String script, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        int n = ++launches;
        Path stats = tmp.resolve("stats-" + n + ".json");
        Path err = tmp.resolve("larder-" + n + ".err");
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", script, "sh", GoCacheProgIT.larder().toString(),
                "run", "--dir", store.toString(), "--stats-json", stats.toString(), "--"));
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(tmp.resolve("larder-" + n + ".out").toFile()).redirectError(err.toFile());
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), String.join(" ", cmd) + " did not finish");
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        // No stats when larder ran the command untraced.
        return new Run(p.exitValue(), stderr, Files.isRegularFile(stats) ? StatsJson.run(stats) : null);
    }

    @Test
    void run_commandWritesToAnFdTheCallerRedirected() throws Exception {
        Run r = viaShell("exec \"$@\" 3>side", Map.of(), "bash", "-c", "echo through three >&3");
        assertEquals(0, r.exit(), r.describe());
        assertEquals("through three\n", Files.readString(work.resolve("side")), r.describe());
        // A file open for writing on fd 3: a replay could not write it, so the run is never cached.
        assertEquals("uncacheable", r.stats().result(), r.describe());
        Run again = viaShell("exec \"$@\" 3>side", Map.of(), "bash", "-c", "echo through three >&3");
        assertEquals("uncacheable", again.stats().result(), again.describe());
        assertEquals("through three\n", Files.readString(work.resolve("side")), again.describe());
    }

    @Test
    void run_recursiveMakeUnderLarderSeesTheJobserver() throws Exception {
        Files.createDirectories(work.resolve("sub"));
        Files.writeString(work.resolve("sub/Makefile"), "all: a b\na b:\n\t@echo $@ > $@\n");
        // The larder command line is the rule's, after a '+': make passes its jobserver fds on.
        Files.writeString(work.resolve("Makefile"), "all:\n\t+$(LARDER) -- $(MAKE) -C sub\n");
        Run r = viaShell("exec make -j2 LARDER=\"$1 run --dir $4 --stats-json $6\"", Map.of(),
                "ignored");
        assertEquals(0, r.exit(), r.describe());
        assertFalse(r.stderr().contains("jobserver unavailable"), r.describe());
        assertEquals("a\n", Files.readString(work.resolve("sub/a")), r.describe());
        // The jobserver's pipes do not stop caching.
        assertEquals("miss", r.stats().result(), r.describe());
    }

    @Test
    void run_nonAsciiNameInTheCLocale_finishesUncachedWithOneLine() throws Exception {
        Map<String, String> cLocale = locale("C");
        String script = "printf x > $(printf '" + CAFE_PRINTF + "'); echo after > done";
        Run r = viaShell("exec \"$@\"", cLocale, "sh", "-c", script);
        assertEquals(0, r.exit(), r.describe());
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(cafe()), r.describe());
        assertEquals("after\n", Files.readString(work.resolve("done")), "the tree ran to its end; " + r.describe());
        assertEquals(1, r.stats().uncacheable(), r.describe());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr; " + r.describe());
        assertTrue(lines.get(0).startsWith("larder run: warning: "), r.describe());
        assertFalse(r.stderr().contains("\tat "), "no stack trace; " + r.describe());
    }

    @Test
    void run_failureBeforeTheCommandStarts_runsItUntracedWithOneLine() throws Exception {
        // A PATH entry the C locale cannot represent fails the executable's lookup, before any spawn.
        Files.createDirectories(work.resolve("bin"));
        Map<String, String> cLocale = locale("C");
        Run r = viaShell("PATH=$PWD/bin/$(printf '" + CAFE_PRINTF + "'):$PATH exec \"$@\"", cLocale, "sh", "-c",
                "echo ran > done; exit 3");
        assertEquals(3, r.exit(), r.describe());
        assertEquals("ran\n", Files.readString(work.resolve("done")), r.describe());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr; " + r.describe());
        assertTrue(lines.get(0).startsWith("larder run: warning: "), r.describe());
    }

    @Test
    void run_nonAsciiNameInAUtf8Locale_isCached() throws Exception {
        Map<String, String> utf8 = locale("C.UTF-8");
        String script = "printf x > $(printf '" + CAFE_PRINTF + "')";
        Run first = viaShell("exec \"$@\"", utf8, "sh", "-c", script);
        assertEquals(0, first.exit(), first.describe());
        assertEquals("miss", first.stats().result(), first.describe());
        Files.delete(cafe());
        Run second = viaShell("exec \"$@\"", utf8, "sh", "-c", script);
        assertEquals("hit", second.stats().result(), second.describe());
        assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(cafe()), second.describe());
    }

    /** An environment change for {@link #viaShell}: LC_ALL={@code lcAll}, no LANG, LC_CTYPE or LARDER_LOG. */
    private static Map<String, String> locale(String lcAll) {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("LC_ALL", lcAll);
        env.put("LANG", null);
        env.put("LC_CTYPE", null);
        env.put("LARDER_LOG", null);
        return env;
    }

    /** The work dir's file named with {@link #CAFE}'s bytes, found by listing (any JVM locale). */
    private Path cafe() throws IOException {
        try (var ds = Files.newDirectoryStream(work)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith("caf") && !name.equals("caf")) {
                    return p;
                }
            }
        }
        throw new AssertionError("no file named " + new String(CAFE, StandardCharsets.UTF_8) + " in " + work);
    }
}
