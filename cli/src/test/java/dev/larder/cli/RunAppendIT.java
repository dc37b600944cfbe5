package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shared build log through the real {@code bin/larder run}: a run that only appends to a log
 * that was there before records the bytes it appended, so the log's growth (others append too)
 * is no input and a replay appends after what others wrote, as running the command would. A run
 * that also reads the log, or creates it, keeps the log's content as its input.
 */
class RunAppendIT {
    @TempDir
    Path tmp;
    private Path work;
    private Path untraced;
    private int runs;
    private String lastStderr;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
        untraced = Files.createDirectories(tmp.resolve("untraced")).toRealPath();
    }

    /** Runs {@code sh -c script} under {@code larder run --explain} in the working directory; its stats' result. */
    private String larder(String script) throws Exception {
        Path stats = tmp.resolve("stats-" + ++runs + ".json");
        LarderRun r = LarderRun.in(work, tmp, Map.of(), "run", "--dir", tmp.resolve("store").toString(), "--explain",
                "--stats-json", stats.toString(), "--", "sh", "-c", script);
        assertEquals(0, r.exit(), "larder run " + script + ": " + r.stderr());
        lastStderr = r.stderr();
        return StatsJson.run(stats).result();
    }

    /** Runs {@code sh -c script} without larder in the twin directory. */
    private void untraced(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(untraced.toFile()).inheritIO().start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "sh -c " + script + " did not finish");
        assertEquals(0, p.exitValue(), "sh -c " + script);
    }

    /** Appends {@code line} to {@code name} in both directories, as another writer of the log would. */
    private void foreign(String name, String line) throws IOException {
        for (Path d : new Path[] {work, untraced}) {
            Files.writeString(d.resolve(name), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private void assertSameLog(String name) throws IOException {
        assertArrayEquals(Files.readAllBytes(untraced.resolve(name)), Files.readAllBytes(work.resolve(name)),
                "got " + Files.readString(work.resolve(name)) + ", want (untraced) "
                        + Files.readString(untraced.resolve(name)));
    }

    @Test
    void appendOnly_hitsAfterOthersAppended_andAppendsAfterThem() throws Exception {
        String script = "echo one >> build.log";
        foreign("build.log", "start\n");
        String first = larder(script);
        untraced(script);
        assertEquals("miss", first, lastStderr);
        assertSameLog("build.log");
        foreign("build.log", "foreign\n");
        String again = larder(script);
        untraced(script);
        assertEquals("hit", again, "the log grew, which is no input: " + lastStderr);
        assertEquals("start\none\nforeign\none\n", Files.readString(work.resolve("build.log")));
        assertSameLog("build.log");
        // Removed, the log is missing where the recording needs it there: a miss, and >> creates it.
        Files.delete(work.resolve("build.log"));
        Files.delete(untraced.resolve("build.log"));
        String gone = larder(script);
        untraced(script);
        assertEquals("miss", gone, lastStderr);
        assertSameLog("build.log");
    }

    @Test
    void readAndAppend_keepsTheLogsContentAsAnInput() throws Exception {
        String script = "wc -l < build.log > lines; echo two >> build.log";
        foreign("build.log", "start\n");
        assertEquals("miss", larder(script));
        untraced(script);
        foreign("build.log", "foreign\n");
        String again = larder(script);
        untraced(script);
        assertEquals("miss", again, "what it read changed: " + lastStderr);
        assertSameLog("build.log");
        assertSameLog("lines");
    }

    @Test
    void logCreatedByTheRun_isAWriteOfItsWholeContent() throws Exception {
        String script = "echo new >> fresh.log";
        assertEquals("miss", larder(script));
        Files.delete(work.resolve("fresh.log"));
        String again = larder(script);
        assertEquals("hit", again, "missing again, as when recorded: " + lastStderr);
        assertEquals("new\n", Files.readString(work.resolve("fresh.log")));
        // There now, it is not what the recording created it from.
        String there = larder(script);
        assertEquals("miss", there, lastStderr);
        assertEquals("new\nnew\n", Files.readString(work.resolve("fresh.log")));
    }
}
