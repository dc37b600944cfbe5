package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/larder run} as a real process, tracing real programs (sh, cat, sort, gcc, make):
 * a first run misses and records, a second run with its inputs unchanged is replayed with the
 * same files, stdout, stderr and exit code, and a changed input (content, not timestamps) misses.
 *
 * <p>Each test runs its commands in {@code tmp/work}, with the store in {@code tmp/store}; larder's
 * own stdout, stderr and stats files go to {@code tmp}, outside the directory the commands list.
 */
class RunCommandIT {
    @TempDir
    Path tmp;

    /** The commands' working directory (its real path: that is what larder records). */
    private Path work;
    private Path store;
    private int launches;

    /** One finished {@code larder run} (or untraced command): stats is null for an untraced one. */
    record Run(int exit, byte[] stdout, String stderr, RunStats stats) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        String result() {
            return stats.result();
        }

        /** The command's own stderr, without larder's --explain and warning lines. */
        String commandStderr() {
            StringBuilder b = new StringBuilder();
            stderr.lines().filter(l -> !l.startsWith("larder")).forEach(l -> b.append(l).append('\n'));
            return b.toString();
        }

        String describe() {
            return "exit " + exit + ", stats " + stats + "\nstdout:\n" + out() + "\nstderr:\n" + stderr;
        }
    }

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        store = tmp.resolve("store");
    }

    // ---- running ----

    /** {@code larder run --dir STORE --explain --stats-json F -- COMMAND} in the work dir, stdin /dev/null. */
    private Run larder(String... command) throws Exception {
        return larder(List.of("--explain"), ProcessBuilder.Redirect.from(new java.io.File("/dev/null")), null,
                command);
    }

    /**
     * {@code larder run} with {@code options} before {@code --}; stdin from {@code stdin}, or, for
     * {@link ProcessBuilder.Redirect#PIPE}, a pipe fed {@code pipeInput} then closed.
     */
    private Run larder(List<String> options, ProcessBuilder.Redirect stdin, byte[] pipeInput, String... command)
            throws Exception {
        int n = ++launches;
        Path stats = tmp.resolve("stats-" + n + ".json");
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "run", "--dir",
                store.toString(), "--stats-json", stats.toString()));
        cmd.addAll(options);
        cmd.add("--");
        cmd.addAll(List.of(command));
        Run r = launch(cmd, "larder-" + n, stdin, pipeInput);
        assertTrue(Files.isRegularFile(stats), "larder run wrote no --stats-json file: " + r.describe());
        return new Run(r.exit(), r.stdout(), r.stderr(), StatsJson.run(stats));
    }

    /** COMMAND run directly (not traced) in the work dir, stdin /dev/null. */
    private Run untraced(String... command) throws Exception {
        return launch(List.of(command), "untraced-" + (++launches),
                ProcessBuilder.Redirect.from(new java.io.File("/dev/null")), null);
    }

    private Run launch(List<String> cmd, String tag, ProcessBuilder.Redirect stdin, byte[] pipeInput)
            throws IOException, InterruptedException {
        Path out = tmp.resolve(tag + ".out");
        Path err = tmp.resolve(tag + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectInput(stdin)
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (stdin == ProcessBuilder.Redirect.PIPE) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(pipeInput);
            }
        }
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), String.join(" ", cmd) + " did not finish");
        return new Run(p.exitValue(), Files.readAllBytes(out), Files.readString(err, StandardCharsets.UTF_8), null);
    }

    // ---- checking ----

    private static void assertMiss(Run r) {
        assertEquals("miss", r.result(), "result: got " + r.result() + ", want miss; " + r.describe());
        assertTrue(r.stats().executions() >= 1, "executions: got " + r.stats().executions() + ", want >= 1");
        assertEquals(0, r.stats().hits(), "hits on a miss; " + r.describe());
        assertEquals(1, r.stats().misses(), "misses on a miss; " + r.describe());
    }

    private static void assertHit(Run r) {
        assertEquals("hit", r.result(), "result: got " + r.result() + ", want hit; " + r.describe());
        assertEquals(1, r.stats().hits(), "hits: got " + r.stats().hits() + ", want 1; " + r.describe());
        assertEquals(0, r.stats().executions(), "executions: got " + r.stats().executions() + ", want 0 on a hit");
        assertTrue(r.stats().skipped() >= 1, "skipped: got " + r.stats().skipped() + ", want >= 1");
        assertTrue(r.stderr().contains("larder run: hit: "), "--explain: got " + r.stderr() + ", want a hit line");
    }

    private static void assertUncacheable(Run r, String why) {
        assertEquals("uncacheable", r.result(), "result: got " + r.result() + ", want uncacheable; " + r.describe());
        assertTrue(r.stats().executions() >= 1, "executions: got " + r.stats().executions() + ", want >= 1");
        assertEquals(1, r.stats().uncacheable(), "uncacheable counter; " + r.describe());
        assertTrue(r.stats().reason().contains(why),
                "reason: got " + r.stats().reason() + ", want it to contain " + why);
        assertTrue(r.stderr().contains("larder run: not cacheable: "),
                "--explain: got " + r.stderr() + ", want a not cacheable line");
    }

    private static void assertSameBytes(byte[] want, byte[] got, String what) {
        assertArrayEquals(want, got, what + ": got " + preview(got) + ", want " + preview(want));
    }

    private static String preview(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 200), StandardCharsets.UTF_8);
        return b.length + " bytes \"" + s + (b.length > 200 ? "…" : "") + "\"";
    }

    /** Reads every file named, relative to the work dir. */
    private Map<String, byte[]> snapshot(String... names) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String n : names) {
            Path p = work.resolve(n);
            assertTrue(Files.isRegularFile(p), n + " was not written");
            m.put(n, Files.readAllBytes(p));
        }
        return m;
    }

    private void assertSnapshot(Map<String, byte[]> want, String when) throws IOException {
        for (Map.Entry<String, byte[]> e : want.entrySet()) {
            Path p = work.resolve(e.getKey());
            assertTrue(Files.isRegularFile(p), e.getKey() + " " + when + ": got no file, want one");
            assertSameBytes(e.getValue(), Files.readAllBytes(p), e.getKey() + " " + when);
        }
    }

    private void deleteInWork(String... names) throws IOException {
        for (String n : names) {
            Path p = work.resolve(n);
            if (Files.isDirectory(p)) {
                try (Stream<Path> all = Files.walk(p)) {
                    for (Path q : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(q);
                    }
                }
            } else {
                Files.deleteIfExists(p);
            }
        }
    }

    private void write(String name, String content) throws IOException {
        Path p = work.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content, StandardCharsets.UTF_8);
    }

    /** Lines of pseudo-random words (fixed seed), with duplicates, in no order. */
    private static String words(long seed, int lines) {
        Random r = new Random(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            b.append("w").append(Integer.toString(r.nextInt(lines / 2 + 1), 36)).append(' ')
                    .append(Long.toHexString(r.nextLong() & 0xffff)).append('\n');
        }
        return b.toString();
    }

    private static String onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool).toString();
            }
        }
        return null;
    }

    // ---- tests ----

    @Test
    void run_sortOfAFile_missThenHitReplaysFileAndStdout() throws Exception {
        write("in.txt", words(1, 5000));
        String[][] commands = {{"sort", "-o", "out.txt", "in.txt"}, {"sort", "-r", "in.txt"}};
        for (String[] command : commands) {
            String what = String.join(" ", command);
            Run plain = untraced(command);
            assertEquals(0, plain.exit(), what + " untraced: " + plain.describe());
            byte[] plainFile = Files.exists(work.resolve("out.txt")) ? Files.readAllBytes(work.resolve("out.txt"))
                    : null;
            deleteInWork("out.txt");

            Run first = larder(command);
            assertEquals(0, first.exit(), what + ": " + first.describe());
            assertMiss(first);
            assertSameBytes(plain.stdout(), first.stdout(), what + " stdout of the traced run");
            if (plainFile != null) {
                assertSameBytes(plainFile, Files.readAllBytes(work.resolve("out.txt")), what + " out.txt, traced");
            }

            deleteInWork("out.txt");
            Run second = larder(command);
            assertEquals(0, second.exit(), what + ": " + second.describe());
            assertHit(second);
            assertSameBytes(plain.stdout(), second.stdout(), what + " stdout of the replayed run");
            if (plainFile != null) {
                assertSameBytes(plainFile, Files.readAllBytes(work.resolve("out.txt")), what + " out.txt, replayed");
            } else {
                assertFalse(Files.exists(work.resolve("out.txt")), what + " made out.txt on a replay");
            }
            deleteInWork("out.txt");
        }
    }

    @Test
    void run_exitCodeAndStderr_replayed() throws Exception {
        String[] command = {"sh", "-c", "echo out; echo err >&2; exit 3"};
        Run first = larder(List.of(), ProcessBuilder.Redirect.from(new java.io.File("/dev/null")), null, command);
        assertEquals(3, first.exit(), "exit of the first run: " + first.describe());
        assertMiss(first);
        assertEquals("out\n", first.out(), "stdout of the first run");
        assertEquals("err\n", first.commandStderr(), "stderr of the first run");

        Run second = larder(List.of(), ProcessBuilder.Redirect.from(new java.io.File("/dev/null")), null, command);
        assertEquals(3, second.exit(), "exit of the replayed run: got " + second.exit() + ", want 3");
        assertEquals("hit", second.result(), "result: " + second.describe());
        assertEquals(0, second.stats().executions(), "executions on a hit");
        assertEquals(3, second.stats().exitCode(), "exitCode in the stats");
        assertEquals("out\n", second.out(), "stdout of the replayed run");
        assertEquals("err\n", second.stderr(), "stderr of the replayed run (no --explain: only the command's)");
    }

    @Test
    void run_touchedInput_stillHits() throws Exception {
        write("in.txt", words(2, 300));
        Path in = work.resolve("in.txt");
        Files.setLastModifiedTime(in, FileTime.fromMillis(System.currentTimeMillis() - 3_600_000));
        Run first = larder("cat", "in.txt");
        assertMiss(first);

        Files.setLastModifiedTime(in, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        Run second = larder("cat", "in.txt");
        assertHit(second);
        assertSameBytes(Files.readAllBytes(in), second.stdout(), "stdout of the replayed run");
    }

    @Test
    void run_editedInputWithOldMtime_missesAndNamesIt() throws Exception {
        write("in.txt", "alpha\nbravo\n");
        Path in = work.resolve("in.txt");
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(in, old);
        assertMiss(larder("cat", "in.txt"));
        assertHit(larder("cat", "in.txt"));

        // Same size, same mtime: only the content (and ctime) differ.
        write("in.txt", "alpha\nbravO\n");
        Files.setLastModifiedTime(in, old);
        Run edited = larder("cat", "in.txt");
        assertMiss(edited);
        assertEquals("alpha\nbravO\n", edited.out(), "stdout after the edit");
        String want = "larder run: miss: " + in + ": content changed";
        assertTrue(edited.stderr().contains(want), "--explain: got " + edited.stderr() + ", want " + want);
    }

    @Test
    void run_shellScriptOfSeveralTools_hitsWithTheSameOutputsAndNoTempFile() throws Exception {
        write("a.txt", words(3, 400));
        write("b.txt", words(4, 400));
        write("build.sh", String.join("\n",
                "set -e",
                "cat a.txt b.txt | sort | uniq -c > counts.txt",
                "wc -l < counts.txt > lines.txt",
                "mkdir d",
                "echo scratch > scratch.tmp",
                "sort -r scratch.tmp a.txt > d/rev.txt",
                "cp counts.txt d/counts-copy.txt",
                "rm scratch.tmp",
                "echo built $(cat lines.txt) lines",
                ""));
        String[] outputs = {"counts.txt", "lines.txt", "d/rev.txt", "d/counts-copy.txt"};

        Run plain = untraced("sh", "build.sh");
        assertEquals(0, plain.exit(), "untraced: " + plain.describe());
        Map<String, byte[]> want = snapshot(outputs);
        deleteInWork("counts.txt", "lines.txt", "d");

        Run first = larder("sh", "build.sh");
        assertEquals(0, first.exit(), first.describe());
        assertMiss(first);
        assertTrue(first.stats().executions() >= 8, "executions: got " + first.stats().executions() + ", want >= 8");
        assertSnapshot(want, "after the traced run");
        assertSameBytes(plain.stdout(), first.stdout(), "stdout of the traced run");
        assertFalse(Files.exists(work.resolve("scratch.tmp")), "scratch.tmp after the traced run");

        deleteInWork("counts.txt", "lines.txt", "d");
        Run second = larder("sh", "build.sh");
        assertEquals(0, second.exit(), second.describe());
        assertHit(second);
        assertSnapshot(want, "after the replay");
        assertSameBytes(plain.stdout(), second.stdout(), "stdout of the replayed run");
        assertFalse(Files.exists(work.resolve("scratch.tmp")), "scratch.tmp after the replay: got a file, want none");
        assertTrue(Files.isDirectory(work.resolve("d")), "d after the replay");
        try (Stream<Path> left = Files.list(work)) {
            List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("a.txt", "b.txt", "build.sh", "counts.txt", "d", "lines.txt"), names,
                    "work dir after the replay");
        }
    }

    private void writeCProgram(int factor) throws IOException {
        write("util.h", "#ifndef UTIL_H\n#define UTIL_H\n#define FACTOR " + factor + "\n"
                + "const char *greeting(void);\nint times(int x);\n#endif\n");
        write("main.c", "#include <stdio.h>\n#include \"util.h\"\n"
                + "int main(void) { printf(\"%s: %d\\n\", greeting(), times(7)); return 0; }\n");
        write("greet.c", "#include \"util.h\"\nconst char *greeting(void) { return \"hello from larder\"; }\n");
        write("calc.c", "#include \"util.h\"\nint times(int x) { return x * FACTOR; }\n");
        write("Makefile", String.join("\n",
                "CC = gcc",
                "CFLAGS = -O2 -Wall",
                "OBJS = main.o greet.o calc.o",
                "prog: $(OBJS)",
                "\t$(CC) -o $@ $(OBJS)",
                "%.o: %.c util.h",
                "\t$(CC) $(CFLAGS) -c -o $@ $<",
                "clean:",
                "\trm -f prog $(OBJS)",
                ".PHONY: clean",
                ""));
    }

    private void makeClean() throws Exception {
        Run clean = untraced("make", "clean");
        assertEquals(0, clean.exit(), "make clean: " + clean.describe());
        for (String f : List.of("prog", "main.o", "greet.o", "calc.o")) {
            assertFalse(Files.exists(work.resolve(f)), f + " after make clean");
        }
    }

    @Test
    void run_makeWithGcc_hitsAfterCleanAndMissesOnHeaderEdit() throws Exception {
        writeCProgram(6);
        String[] built = {"prog", "main.o", "greet.o", "calc.o"};

        Run first = larder("make", "-j2");
        assertEquals(0, first.exit(), first.describe());
        assertMiss(first);
        assertTrue(first.stats().executions() >= 5, "executions: got " + first.stats().executions() + ", want >= 5");
        Map<String, byte[]> want = snapshot(built);
        Run prog = untraced(work.resolve("prog").toString());
        assertEquals("hello from larder: 42\n", prog.out(), "the program built by the traced make");

        makeClean();
        Run second = larder("make", "-j2");
        assertEquals(0, second.exit(), second.describe());
        assertHit(second);
        assertTrue(second.stats().skipped() >= 5, "skipped: got " + second.stats().skipped() + ", want >= 5");
        assertSnapshot(want, "after the replayed make");
        assertSameBytes(first.stdout(), second.stdout(), "make's stdout, replayed");
        assertTrue(Files.isExecutable(work.resolve("prog")), "prog after the replay is not executable");
        // Replayed in their recorded order: make sees prog newer than the objects, them newer than the sources.
        Run upToDate = untraced("make", "-q");
        assertEquals(0, upToDate.exit(), "make -q after the replay: got exit " + upToDate.exit()
                + ", want 0 (up to date); " + upToDate.describe());
        prog = untraced(work.resolve("prog").toString());
        assertEquals(0, prog.exit(), "the replayed program: " + prog.describe());
        assertEquals("hello from larder: 42\n", prog.out(), "the replayed program's output");

        // Edited header, the outputs cleaned: the header is the first precondition that fails.
        writeCProgram(7);
        makeClean();
        Run edited = larder("make", "-j2");
        assertEquals(0, edited.exit(), edited.describe());
        assertMiss(edited);
        String want7 = work.resolve("util.h") + ": content changed";
        assertTrue(edited.stderr().contains("larder run: miss: " + want7),
                "--explain: got " + edited.stderr() + ", want a miss naming " + want7);
        prog = untraced(work.resolve("prog").toString());
        assertEquals("hello from larder: 49\n", prog.out(), "the program rebuilt after the header edit");
    }

    @Test
    void run_makeAfterHeaderEditWithOutputsPresent_rebuildsRight() throws Exception {
        writeCProgram(6);
        assertMiss(larder("make", "-j2"));
        writeCProgram(8);
        Run edited = larder("make", "-j2");
        assertEquals(0, edited.exit(), edited.describe());
        assertMiss(edited);
        Run prog = untraced(work.resolve("prog").toString());
        assertEquals("hello from larder: 56\n", prog.out(), "the program rebuilt by make after the header edit");
    }

    @Test
    void run_makeUpToDateRecorded_thenSourceEdited_rebuilds() throws Exception {
        writeCProgram(6);
        assertMiss(larder("make", "-j2"));
        // The outputs exist now: make has nothing to do, and that run is recorded too ...
        assertMiss(larder("make", "-j2"));
        assertHit(larder("make", "-j2"));
        // ... but make only stat'd the sources then. An edited source must still rebuild.
        write("calc.c", "#include \"util.h\"\nint times(int x) { return x * FACTOR + 1; }\n");
        Run edited = larder("make", "-j2");
        assertEquals(0, edited.exit(), edited.describe());
        assertMiss(edited);
        String want = work.resolve("calc.c") + ": content changed";
        assertTrue(edited.stderr().contains(want), "--explain: got " + edited.stderr() + ", want " + want);
        Run prog = untraced(work.resolve("prog").toString());
        assertEquals("hello from larder: 43\n", prog.out(), "the program after the edit of a stat'd-only source");
    }

    @Test
    void run_hasIncludeOfAMissingHeader_missesWhenItAppears() throws Exception {
        write("hi.c", String.join("\n",
                "#include <stdio.h>",
                "#if __has_include(\"extra.h\")",
                "#include \"extra.h\"",
                "#endif",
                "#ifndef GREETING",
                "#define GREETING \"plain\"",
                "#endif",
                "int main(void) { puts(GREETING); return 0; }",
                ""));
        String[] command = {"gcc", "-o", "hi", "hi.c"};
        assertMiss(larder(command));
        assertEquals("plain\n", untraced(work.resolve("hi").toString()).out(), "hi without extra.h");
        deleteInWork("hi");
        assertHit(larder(command));
        assertEquals("plain\n", untraced(work.resolve("hi").toString()).out(), "replayed hi without extra.h");

        write("extra.h", "#define GREETING \"extra\"\n");
        deleteInWork("hi");
        Run added = larder(command);
        assertEquals(0, added.exit(), added.describe());
        assertMiss(added);
        String want = "larder run: miss: " + work.resolve("extra.h") + ": now exists";
        assertTrue(added.stderr().contains(want), "--explain: got " + added.stderr() + ", want " + want);
        assertEquals("extra\n", untraced(work.resolve("hi").toString()).out(), "hi rebuilt with extra.h");
    }

    @Test
    void run_headerAddedEarlierInTheIncludePath_misses() throws Exception {
        write("inc2/conf.h", "#define WHICH \"inc2\"\n");
        Files.createDirectories(work.resolve("inc1"));
        write("p.c", "#include <stdio.h>\n#include \"conf.h\"\nint main(void) { puts(WHICH); return 0; }\n");
        String[] command = {"gcc", "-Iinc1", "-Iinc2", "-o", "p", "p.c"};
        assertMiss(larder(command));
        assertEquals("inc2\n", untraced(work.resolve("p").toString()).out(), "p with conf.h in inc2 only");

        write("inc1/conf.h", "#define WHICH \"inc1\"\n");
        deleteInWork("p");
        Run added = larder(command);
        assertEquals(0, added.exit(), added.describe());
        assertMiss(added);
        String want = "larder run: miss: " + work.resolve("inc1/conf.h") + ": now exists";
        assertTrue(added.stderr().contains(want), "--explain: got " + added.stderr() + ", want " + want);
        assertEquals("inc1\n", untraced(work.resolve("p").toString()).out(), "p rebuilt with inc1/conf.h");
    }

    @Test
    void run_bashTcpSocket_isUncacheableAndRunsAgain() throws Exception {
        String[] command = {"bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9; echo connected"};
        for (int i = 1; i <= 2; i++) {
            Run r = larder(command);
            assertUncacheable(r, "used the network: socket(domain 2)");
            assertEquals(0, r.stats().hits(), "hits on run " + i);
        }
    }

    @Test
    void run_pythonInetSocket_isUncacheable() throws Exception {
        String python = onPath("python3");
        if (python == null && "1".equals(System.getenv("LARDER_REQUIRE_PYTHON"))) {
            throw new AssertionError("python3 is not on PATH, and LARDER_REQUIRE_PYTHON=1 says this test must run");
        }
        assumeTrue(python != null, "python3 is not on PATH: cannot open a socket from python");
        String[] command = {"python3", "-c",
            "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.close(); print('made')"};
        for (int i = 1; i <= 2; i++) {
            Run r = larder(command);
            assertEquals(0, r.exit(), r.describe());
            assertEquals("made\n", r.out(), "stdout of run " + i);
            assertUncacheable(r, "used the network: socket(domain 2)");
        }
    }

    @Test
    void run_stdinPipeIsUncacheable_stdinFileIsKeyedByContent() throws Exception {
        byte[] piped = "piped data\n".getBytes(StandardCharsets.UTF_8);
        for (int i = 1; i <= 2; i++) {
            Run r = larder(List.of("--explain"), ProcessBuilder.Redirect.PIPE, piped, "cat");
            assertEquals(0, r.exit(), r.describe());
            assertSameBytes(piped, r.stdout(), "cat of a pipe, run " + i);
            assertUncacheable(r, "read stdin");
        }

        Path input = tmp.resolve("stdin.txt");
        Files.writeString(input, "from a file\n");
        ProcessBuilder.Redirect fromFile = ProcessBuilder.Redirect.from(input.toFile());
        Run first = larder(List.of("--explain"), fromFile, null, "cat");
        assertMiss(first);
        assertEquals("from a file\n", first.out(), "cat of a file, first run");
        Run second = larder(List.of("--explain"), fromFile, null, "cat");
        assertHit(second);
        assertEquals("from a file\n", second.out(), "cat of a file, replayed");

        Files.writeString(input, "from a file, edited\n");
        Run edited = larder(List.of("--explain"), fromFile, null, "cat");
        assertMiss(edited);
        assertEquals("from a file, edited\n", edited.out(), "cat of the edited file");
    }

    @Test
    void run_externalHelper_missThenHit() throws Exception {
        write("in.txt", words(5, 200));
        Path store2 = tmp.resolve("store2");
        String helper = "'" + GoCacheProgIT.larder() + "' helper --dir '" + store2 + "'";
        List<String> options = List.of("--explain", "--helper", helper);
        ProcessBuilder.Redirect devNull = ProcessBuilder.Redirect.from(new java.io.File("/dev/null"));

        Run first = larder(options, devNull, null, "sort", "in.txt");
        assertEquals(0, first.exit(), first.describe());
        assertMiss(first);
        assertTrue(first.stats().stored(), "stored through the helper: " + first.describe());
        Run second = larder(options, devNull, null, "sort", "in.txt");
        assertHit(second);
        assertSameBytes(first.stdout(), second.stdout(), "stdout replayed through the helper");

        try (Stream<Path> blobs = Files.walk(store2.resolve("blobs"))) {
            assertTrue(blobs.anyMatch(Files::isRegularFile), "no blobs in the helper's store " + store2);
        }
        assertFalse(Files.exists(store.resolve("blobs")), "--helper given, yet the local store got blobs");
    }

    @Test
    void run_corruptBlobInTheStore_neverReplaysIt() throws Exception {
        write("in.txt", "zulu\nyankee\nxray\nwhiskey unique to this test\n");
        String[] command = {"sort", "-o", "out.txt", "in.txt"};
        assertMiss(larder(command));
        byte[] right = Files.readAllBytes(work.resolve("out.txt"));
        assertEquals("whiskey unique to this test\nxray\nyankee\nzulu\n", new String(right, StandardCharsets.UTF_8),
                "sorted output");

        int flipped = 0;
        try (Stream<Path> all = Files.walk(store)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                if (Files.size(p) == right.length && Arrays.equals(Files.readAllBytes(p), right)) {
                    byte[] bad = right.clone();
                    bad[bad.length / 2] ^= 0x20;
                    Files.write(p, bad);
                    flipped++;
                }
            }
        }
        assertTrue(flipped >= 1, "no file in the store holds the output's content " + HexFormat.of().formatHex(right));

        deleteInWork("out.txt");
        Run after = larder(command);
        assertEquals(0, after.exit(), after.describe());
        assertTrue(after.result().equals("miss") || after.result().equals("hit"),
                "result: got " + after.result() + ", want miss or hit; " + after.describe());
        assertSameBytes(right, Files.readAllBytes(work.resolve("out.txt")), "out.txt after the store was damaged");

        // The re-run stored the content again: the next run is replayed, with the right bytes.
        deleteInWork("out.txt");
        Run healed = larder(command);
        assertHit(healed);
        assertSameBytes(right, Files.readAllBytes(work.resolve("out.txt")), "out.txt replayed after the re-run");
    }
}
