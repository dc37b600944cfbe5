package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code bin/larder run} with nested units, on real make, gcc and sh: when the whole run misses,
 * each execution whose inputs still hold is skipped (its outputs replayed, its output written in
 * order, its status returned to its parent), and only what an edit touches runs; every result is
 * byte-identical to an untraced build of the same sources.
 */
class NestedUnitsIT {
    private static final int FILES = 10;

    @TempDir
    Path tmp;

    private Path work;
    private Path store;
    private int launches;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        store = tmp.resolve("store");
    }

    /** One finished command: its exit, stdout, stderr and (under larder) stats. */
    private record Run(int exit, String out, String err, RunStats stats) {
        String describe() {
            return "exit " + exit + ", stats " + stats + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }

        /** larder's "unit ran: CMD" lines. */
        List<String> ran() {
            return err.lines().filter(l -> l.startsWith("larder run: unit ran: ")).toList();
        }
    }

    private Run larder(Path dir, String... command) throws Exception {
        return larder(dir, Map.of(), command);
    }

    private Run larder(Path dir, Map<String, String> env, String... command) throws Exception {
        Path stats = tmp.resolve("stats-" + (++launches) + ".json");
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "run", "--dir", store.toString(),
                "--explain", "--stats-json", stats.toString(), "--"));
        cmd.addAll(List.of(command));
        Run r = start(dir, cmd, env);
        assertTrue(Files.isRegularFile(stats), "no stats: " + r.describe());
        return new Run(r.exit(), r.out(), r.err(), StatsJson.run(stats));
    }

    private Run untraced(Path dir, String... command) throws Exception {
        return start(dir, List.of(command), Map.of());
    }

    private Run start(Path dir, List<String> cmd, Map<String, String> env) throws Exception {
        int n = ++launches;
        Path out = tmp.resolve("out-" + n);
        Path err = tmp.resolve("err-" + n);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), cmd + " did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), null);
    }

    /**
     * A C project in {@code dir}: FILES sources of some work each for gcc -O2 (enough CPU that a
     * compile is worth a unit), main.c, a header, and a Makefile; {@code k} is f3.c's constant.
     */
    private static void project(Path dir, int k) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("h.h"), "#define K 3\n");
        StringBuilder main = new StringBuilder("#include <stdio.h>\n#include \"h.h\"\n").append(work("m"));
        for (int i = 1; i <= FILES; i++) {
            StringBuilder c = new StringBuilder("#include \"h.h\"\n").append(work("g"));
            c.append("int f").append(i).append("(int x) { return x * ").append(i == 3 ? k : i).append(" + K");
            for (int j = 0; j < 120; j++) {
                c.append(" + g").append(j).append("(x)");
            }
            c.append("; }\n");
            Files.writeString(dir.resolve("f" + i + ".c"), c);
            main.append("int f").append(i).append("(int);\n");
        }
        main.append("int main(void) { long s = 0;\n");
        for (int i = 1; i <= FILES; i++) {
            main.append("  s += f").append(i).append("(").append(i).append(");\n");
        }
        main.append("  s += m119(1);\n  printf(\"%ld\\n\", s); return 0; }\n");
        Files.writeString(dir.resolve("main.c"), main);
        Files.writeString(dir.resolve("Makefile"), String.join("\n",
                "OBJS = main.o " + String.join(" ", objects()),
                "prog: $(OBJS)",
                "\tgcc -o $@ $(OBJS)",
                "%.o: %.c h.h",
                "\tgcc -O2 -c $<",
                "clean:",
                "\trm -f *.o prog",
                ""));
        StringBuilder sh = new StringBuilder();
        for (int i = 1; i <= FILES; i++) {
            sh.append("gcc -O2 -c f").append(i).append(".c\n");
        }
        sh.append("gcc -O2 -c main.c\ngcc -o prog main.o ").append(String.join(" ", objects())).append("\n");
        Files.writeString(dir.resolve("build.sh"), sh);
    }

    /** 120 functions named {@code prefix}0.. with loops and a switch: some work for gcc -O2. */
    private static String work(String prefix) {
        StringBuilder c = new StringBuilder();
        for (int j = 0; j < 120; j++) {
            c.append("static int ").append(prefix).append(j).append("(int x) { int s = 0; for (int i = 0; i < x; i++) { ")
                    .append("switch ((i + ").append(j).append(") % 4) { case 0: s += i * ").append(j + 1)
                    .append("; break; case 1: s ^= i << 3; break; case 2: s -= i / 3; break; default: s += K; } } ")
                    .append("return s").append(j > 0 ? " + " + prefix + (j - 1) + "(x / 2)" : "").append("; }\n");
        }
        return c.toString();
    }

    private static List<String> objects() {
        List<String> o = new ArrayList<>();
        for (int i = 1; i <= FILES; i++) {
            o.add("f" + i + ".o");
        }
        return o;
    }

    /** SHA-256 of every regular file under {@code dir} but the sources and scripts, by name. */
    private static Map<String, String> builtFiles(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".o") || name.equals("prog") || name.endsWith(".log")) {
                    out.put(name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                            .digest(Files.readAllBytes(p))));
                }
            }
        }
        return out;
    }

    private static void clean(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".o") || name.equals("prog")) {
                    Files.delete(p);
                }
            }
        }
    }

    /** The untraced build of the project with f3.c's constant {@code k}, in a directory of its own. */
    private Path reference(int k, String... build) throws Exception {
        Path ref = tmp.resolve("ref-" + k + "-" + (++launches));
        project(ref, k);
        Run r = untraced(ref, build);
        assertEquals(0, r.exit(), r.describe());
        return ref;
    }

    @ParameterizedTest
    @ValueSource(strings = {"-j1", "-j2"})
    void make_cleanAndOneEdit_runsOneCompilerAndTheLink(String jobs) throws Exception {
        project(work, 3);
        Run first = larder(work, "make", jobs);
        assertEquals(0, first.exit(), first.describe());
        assertEquals(FILES + 2, first.stats().unitsRun(), "the first build: each compile and the link is a unit\n"
                + first.describe());

        clean(work);
        project(work, 33);
        Run edited = larder(work, "make", jobs);
        assertEquals(0, edited.exit(), edited.describe());
        assertEquals("miss", edited.stats().result(), edited.describe());
        assertEquals(FILES, edited.stats().unitsSkipped(), "skipped: every compile but f3.c's\n" + edited.describe());
        assertEquals(List.of("larder run: unit ran: gcc -O2 -c f3.c", "larder run: unit ran: gcc -o prog main.o "
                + String.join(" ", objects())), edited.ran().stream().map(l -> l.replaceAll(" \\(miss: .*", ""))
                .toList(), "what ran\n" + edited.describe());
        Path ref = reference(33, "make", jobs);
        assertEquals(builtFiles(ref), builtFiles(work), "objects and program against an untraced build");
        assertEquals(untraced(ref, "./prog").out(), untraced(work, "./prog").out(), "the program's output");
    }

    @Test
    void shellScript_independentSteps_onlyTheEditedOneAndTheLinkRun() throws Exception {
        project(work, 3);
        Run first = larder(work, "sh", "build.sh");
        assertEquals(0, first.exit(), first.describe());
        clean(work);
        project(work, 34);
        Run edited = larder(work, "sh", "build.sh");
        assertEquals(0, edited.exit(), edited.describe());
        assertEquals(FILES, edited.stats().unitsSkipped(), edited.describe());
        assertEquals(2, edited.ran().size(), "ran: f3.c's compile and the link\n" + edited.describe());
        assertEquals(builtFiles(reference(34, "sh", "build.sh")), builtFiles(work));
    }

    @Test
    void skippedChildInAPipeline_keepsTheOutputOrder() throws Exception {
        Path tool = work.resolve("tool.sh");
        // Some CPU (a unit worth keeping), then output on both descriptors.
        Files.writeString(tool, "#!/bin/sh\ni=0; while [ $i -lt 30000 ]; do i=$((i+1)); done\n"
                + "echo tool-out-1; echo tool-err >&2; echo tool-out-2\nexit 0\n");
        assertTrue(tool.toFile().setExecutable(true));
        Run first = larder(work, "sh", "-c", "(echo a; ./tool.sh; echo b) 2>&1 | cat");
        assertEquals("a\ntool-out-1\ntool-err\ntool-out-2\nb\n", first.out(), first.describe());
        // Another command line (the whole run misses): the tool itself is skipped.
        Run second = larder(work, "sh", "-c", "(echo A; ./tool.sh; echo B) 2>&1 | cat");
        assertEquals(1, second.stats().unitsSkipped(), second.describe());
        assertEquals("A\ntool-out-1\ntool-err\ntool-out-2\nB\n", second.out(), second.describe());
    }

    @Test
    void logAppendedBySeveralUnits_isByteIdenticalToAnUntracedRun() throws Exception {
        project(work, 3);
        String rule = "%.o: %.c h.h\n\tgcc -O2 -c $< && echo \"built $@\" >> build.log\n";
        String makefile = Files.readString(work.resolve("Makefile")).replace("%.o: %.c h.h\n\tgcc -O2 -c $<\n", rule);
        Files.writeString(work.resolve("Makefile"), makefile);
        Run first = larder(work, "make", "-j1");
        assertEquals(0, first.exit(), first.describe());
        Files.delete(work.resolve("build.log"));
        clean(work);
        project(work, 35);
        Files.writeString(work.resolve("Makefile"), makefile);
        Run edited = larder(work, "make", "-j1");
        assertEquals(0, edited.exit(), edited.describe());
        assertTrue(edited.stats().unitsSkipped() >= FILES, edited.describe());

        Path ref = tmp.resolve("ref-log");
        project(ref, 35);
        Files.writeString(ref.resolve("Makefile"), makefile);
        assertEquals(0, untraced(ref, "make", "-j1").exit());
        assertEquals(Files.readString(ref.resolve("build.log")), Files.readString(work.resolve("build.log")),
                "the log the units appended to");
        assertEquals(builtFiles(ref), builtFiles(work));
    }

    @Test
    void generatorThenCompiler_editTheGeneratorsInput_bothRun() throws Exception {
        project(work, 3);
        Files.writeString(work.resolve("gen.in"), "7\n");
        Files.writeString(work.resolve("gen.sh"), "#!/bin/sh\ni=0; while [ $i -lt 30000 ]; do i=$((i+1)); done\n"
                + "echo \"#define GEN $(cat \"$1\")\" > \"$2\"\n");
        assertTrue(work.resolve("gen.sh").toFile().setExecutable(true));
        Files.writeString(work.resolve("f1.c"), Files.readString(work.resolve("f1.c"))
                .replace("#include \"h.h\"\n", "#include \"h.h\"\n#include \"gen.h\"\n")
                .replace("int f1(int x) { return x * 1 + K", "int f1(int x) { return x * 1 + K + GEN"));
        String makefile = Files.readString(work.resolve("Makefile")).replace("clean:",
                "gen.h: gen.in\n\t./gen.sh gen.in gen.h\nf1.o: gen.h\nclean:");
        Files.writeString(work.resolve("Makefile"), makefile);
        Run first = larder(work, "make", "-j1");
        assertEquals(0, first.exit(), first.describe());
        String before = untraced(work, "./prog").out();

        clean(work);
        Files.delete(work.resolve("gen.h"));
        Files.writeString(work.resolve("gen.in"), "1000\n");
        Run edited = larder(work, "make", "-j1");
        assertEquals(0, edited.exit(), edited.describe());
        List<String> ran = edited.ran();
        assertTrue(ran.stream().anyMatch(l -> l.contains("./gen.sh gen.in gen.h")), "the generator ran\n" + edited.describe());
        assertTrue(ran.stream().anyMatch(l -> l.contains("gcc -O2 -c f1.c")), "f1.c's compile ran\n" + edited.describe());
        String after = untraced(work, "./prog").out();
        assertTrue(!before.equals(after), "the program changed with gen.in: " + before + " vs " + after);
        assertEquals("#define GEN 1000\n", Files.readString(work.resolve("gen.h")));
    }

    @Test
    void twoUnitsWritingOnePathAtOnce_areNotCached() throws Exception {
        // a writes out.txt and sleeps; b writes it meanwhile.
        Path a = work.resolve("a.sh");
        Path b = work.resolve("b.sh");
        // Neither reads what the other writes: only their writes of out.txt overlap.
        Files.writeString(a, "#!/bin/sh\necho one > out.txt\nsleep 2\n");
        Files.writeString(b, "#!/bin/sh\nsleep 0.5\necho two > out.txt\n");
        assertTrue(a.toFile().setExecutable(true) && b.toFile().setExecutable(true));
        Run r = larder(work, "sh", "-c", "./a.sh & ./b.sh; wait");
        assertEquals(0, r.exit(), r.describe());
        assertTrue(r.stats().unitsUncacheable() >= 1, "the writer raced is not cached\n" + r.describe());
        assertTrue(r.err().contains("larder run: unit not cacheable: ./a.sh: another process changed "), r.describe());
    }

    @Test
    void unitMiss_namesTheVariableThatDiffers() throws Exception {
        project(work, 3);
        Run first = larder(work, Map.of("LARDER_TEST_FLAVOUR", "one"), "make", "-j1");
        assertEquals(0, first.exit(), first.describe());
        clean(work);
        Run other = larder(work, Map.of("LARDER_TEST_FLAVOUR", "two"), "make", "-j1");
        assertEquals(0, other.exit(), other.describe());
        assertTrue(other.err().contains("larder run: unit ran: gcc -O2 -c f3.c (miss: not run before with this identity; "
                + "the last run of this command line here differed in the environment: LARDER_TEST_FLAVOUR changed)"),
                other.describe());
    }

    @Test
    void cacheThatStallsOnANestedLookup_isAskedOnce_andTheBuildGoesOn() throws Exception {
        // A GOCACHEPROG helper that answers the run's own lookup (a miss) and its puts, and never
        // answers a get after that: the traced tree would wait at each nested execve.
        Path log = tmp.resolve("requests.log");
        Path helper = tmp.resolve("stalling-helper.sh");
        Files.writeString(helper, """
                #!/bin/sh
                echo '{"ID":0,"KnownCommands":["get","put","close"]}'
                gets=0
                while IFS= read -r line; do
                  id=$(printf '%s' "$line" | sed -n 's/.*"ID":\\([0-9]*\\).*/\\1/p')
                  case "$line" in
                    *'"Command":"get"'*) gets=$((gets+1)); echo get >> "$LOG"
                      [ $gets -eq 1 ] && echo "{\\"ID\\":$id,\\"Miss\\":true}" ;;
                    *'"Command":"put"'*) echo put >> "$LOG"; echo "{\\"ID\\":$id}" ;;
                    *'"Command":"close"'*) echo "{\\"ID\\":$id}"; exit 0 ;;
                  esac
                done
                """);
        Path tool = work.resolve("tool.sh");
        Files.writeString(tool, "#!/bin/sh\ni=0; while [ $i -lt 30000 ]; do i=$((i+1)); done\necho tool $1\n");
        assertTrue(tool.toFile().setExecutable(true));
        Path stats = tmp.resolve("stall-stats.json");
        Run r = start(work, List.of(GoCacheProgIT.larder().toString(), "run", "--helper", "sh " + helper,
                "--explain", "--stats-json", stats.toString(), "--", "sh", "-c", "./tool.sh 1; ./tool.sh 2; ./tool.sh 3"),
                Map.of("LOG", log.toString()));
        assertEquals(0, r.exit(), r.describe());
        assertEquals("tool 1\ntool 2\ntool 3\n", r.out(), r.describe());
        List<String> asked = Files.readAllLines(log);
        assertEquals(2, asked.stream().filter("get"::equals).count(),
                "the run's lookup and one nested lookup, then no more: " + asked + "\n" + r.describe());
        assertEquals(1, r.err().lines().filter(l -> l.contains("did not answer a nested unit's lookup within 5 s")).count(), r.describe());
        assertTrue(asked.contains("put"), "the run itself is still stored: " + asked);
    }
}
