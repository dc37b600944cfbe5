package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * {@code bin/larder run --explain} as a real process: a miss names what no longer holds in the
 * closest recording (not merely the newest), {@code --explain=all} gives a line per recording,
 * and a command line with no recording is compared with the last one that ran here, naming what
 * differs: a variable, an argument, the directory, the executable, the umask, stdin.
 */
class RunExplainIT {
    /** Writes gen.h only when it is missing (as a build makes a generated header), then reads it and src.c. */
    private static final String GENERATED = "if [ -e gen.h ]; then :; else echo gen > gen.h; fi; cat gen.h src.c > out";

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

    /** One finished {@code larder run}: its exit, stderr and stats. */
    private record Run(int exit, String stderr, RunStats stats) {
        String reason() {
            return stats.reason();
        }
    }

    /** How to start one run: its directory, stdin, umask (null: this JVM's) and larder's options. */
    private record How(Path dir, Path stdin, String umask, List<String> options) {
        How options(String... more) {
            List<String> all = new ArrayList<>(options);
            all.addAll(List.of(more));
            return new How(dir, stdin, umask, all);
        }
    }

    private How here() {
        return new How(work, Path.of("/dev/null"), null, List.of("--explain"));
    }

    /** {@code larder run --dir STORE --stats-json F OPTIONS -- COMMAND}, with {@code env} added. */
    private Run run(How how, Map<String, String> env, String... command) throws Exception {
        Path stats = tmp.resolve("stats-" + (++launches) + ".json");
        List<String> cmd = new ArrayList<>();
        if (how.umask() != null) {
            cmd.addAll(List.of("sh", "-c", "umask " + how.umask() + " && exec \"$0\" \"$@\""));
        }
        cmd.addAll(List.of(GoCacheProgIT.larder().toString(), "run", "--dir", store.toString(), "--stats-json",
                stats.toString()));
        cmd.addAll(how.options());
        cmd.add("--");
        cmd.addAll(List.of(command));
        Path err = tmp.resolve("err-" + launches + ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(how.dir().toFile())
                .redirectInput(how.stdin().toFile())
                .redirectOutput(tmp.resolve("out-" + launches + ".txt").toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "larder run did not finish: " + cmd);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(Files.isRegularFile(stats), "no --stats-json: exit " + p.exitValue() + "\n" + stderr);
        return new Run(p.exitValue(), stderr, StatsJson.run(stats));
    }

    private Run run(Map<String, String> env, String... command) throws Exception {
        return run(here(), env, command);
    }

    private static void assertResult(String want, Run r, String when) {
        assertEquals(want, r.stats().result(), when + ": got " + r.stats().result() + "\n" + r.stderr());
    }

    private static void assertReason(String want, Run r, String when) {
        assertResult("miss", r, when);
        assertEquals(want, r.reason(), when + ": the miss's reason\n" + r.stderr());
        assertTrue(r.stderr().contains("larder run: miss: " + want), when + ": --explain on stderr\n" + r.stderr());
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(work.resolve(name), text);
    }

    private void clean() throws IOException {
        Files.deleteIfExists(work.resolve("gen.h"));
        Files.deleteIfExists(work.resolve("out"));
    }

    @Test
    void miss_namesTheClosestRecording_notTheNewest() throws Exception {
        write("src.c", "one\n");
        // Recorded clean (gen.h missing), then built (gen.h there): the newest recording wants gen.h.
        assertResult("miss", run(Map.of(), "sh", "-c", GENERATED), "clean tree");
        assertResult("miss", run(Map.of(), "sh", "-c", GENERATED), "built tree (gen.h now exists)");
        clean();
        assertResult("hit", run(Map.of(), "sh", "-c", GENERATED), "clean again: the first recording holds");

        // Edited and cleaned: the newest recording fails on gen.h first, the older only on src.c.
        write("src.c", "two\n");
        clean();
        Run edited = run(new How(work, Path.of("/dev/null"), null, List.of("--explain=all")), Map.of(), "sh", "-c",
                GENERATED);
        String src = work.resolve("src.c") + ": content changed";
        assertResult("miss", edited, "after the edit");
        assertTrue(edited.reason().startsWith(src + " (recording 2 of 2, the closest: 1 of "), "the miss's reason: "
                + edited.reason() + "\nwant it to start with " + src + " (recording 2 of 2, the closest …");
        assertTrue(edited.stderr().contains("larder run: miss: " + edited.reason()), edited.stderr());
        List<String> lines = edited.stderr().lines().filter(l -> l.startsWith("larder run: recording ")).toList();
        assertEquals(2, lines.size(), "--explain=all: one line per recording\n" + edited.stderr());
        assertTrue(lines.get(0).startsWith("larder run: recording 1 of 2 (newest): ")
                && lines.get(0).contains(work.resolve("gen.h") + ": now missing") && lines.get(0).contains(src),
                lines.get(0));
        assertTrue(lines.get(1).startsWith("larder run: recording 2 of 2: 1 of ") && lines.get(1).endsWith(src),
                lines.get(1));
        assertEquals("gen\ntwo\n", Files.readString(work.resolve("out")), "the edited run's output");

        // Plain --explain prints only the miss, without the lines.
        write("src.c", "three\n");
        Run plain = run(Map.of(), "sh", "-c", GENERATED);
        assertResult("miss", plain, "the next edit");
        assertTrue(plain.stderr().lines().noneMatch(l -> l.startsWith("larder run: recording ")), plain.stderr());
    }

    @Test
    void identityMiss_namesTheVariableThatDiffers() throws Exception {
        assertResult("miss", run(Map.of("FOO", "1", "BAR", "x"), "sh", "-c", "echo hi"), "first run");
        assertReason("not run before with this identity; the last run of this command line here differed in the "
                + "environment: FOO changed", run(Map.of("FOO", "2", "BAR", "x"), "sh", "-c", "echo hi"), "FOO=2");
        Run again = run(Map.of("FOO", "1", "BAR", "x"), "sh", "-c", "echo hi");
        assertResult("hit", again, "FOO=1 again");
    }

    @Test
    void identityMiss_namesTheArgumentsTheDirectoryTheExecutable() throws Exception {
        write("a.txt", "a\n");
        write("b.txt", "b\n");
        assertResult("miss", run(Map.of(), "cat", "a.txt"), "cat a.txt");
        assertReason("not run before with this identity; the last run of cat here differed in the arguments: "
                + "argument 1 was a.txt, now b.txt", run(Map.of(), "cat", "b.txt"), "cat b.txt");

        Path sub = Files.createDirectories(work.resolve("sub"));
        Files.writeString(sub.resolve("b.txt"), "b\n");
        How inSub = new How(sub, Path.of("/dev/null"), null, List.of("--explain"));
        assertReason("not run before with this identity; the last run of this command line (in " + work
                + ") differed in the directory (was " + work + ")", run(inSub, Map.of(), "cat", "b.txt"), "in sub/");

        Path tool = work.resolve("tool.sh");
        Files.writeString(tool, "#!/bin/sh\necho one\n");
        assertTrue(tool.toFile().setExecutable(true));
        assertResult("miss", run(Map.of(), "./tool.sh"), "the tool");
        Files.writeString(tool, "#!/bin/sh\necho two\n");
        assertReason("not run before with this identity; the last run of this command line here differed in the "
                + "executable's content (" + tool + ")", run(Map.of(), "./tool.sh"), "the tool edited");
    }

    @Test
    void identityMiss_namesTheUmaskAndStdin() throws Exception {
        write("in.txt", "input\n");
        How base = here();
        assertResult("miss", run(new How(work, Path.of("/dev/null"), "022", base.options()), Map.of(), "true"), "022");
        assertReason("not run before with this identity; the last run of this command line here differed in the "
                + "umask (was 022, now 077)", run(new How(work, Path.of("/dev/null"), "077", base.options()), Map.of(),
                        "true"), "077");
        assertReason("not run before with this identity; the last run of this command line here differed in "
                + "stdin (was /dev/null, now a file)", run(new How(work, work.resolve("in.txt"), "077",
                        base.options()), Map.of(), "true"), "stdin from a file");
    }

    @Test
    void identityMiss_sameIdentityWhoseRecordingsAreGone_saysSo() throws Exception {
        assertResult("miss", run(Map.of(), "sh", "-c", "echo hi"), "first run");
        // Another, empty cache through --helper: the identity is known here, its recordings are not there.
        String helper = GoCacheProgIT.larder() + " helper --dir " + tmp.resolve("other-store");
        assertReason("ran here before with this command line, environment, directory and executable, but its "
                + "recordings are no longer in the cache", run(here().options("--helper", helper), Map.of(), "sh", "-c",
                        "echo hi"), "an empty cache");
    }

    @Test
    void explain_badValue_isAUsageError() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "run", "--dir", store.toString(),
                "--explain=some", "--", "true").directory(work.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("--explain: got 'some', want --explain or --explain=all"), out);
    }
}
