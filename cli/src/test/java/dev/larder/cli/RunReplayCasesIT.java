package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cases from real projects where a replay never happened or was wrong, through the real
 * {@code bin/larder run}: an output read back through {@code ..} (recursive make's
 * {@code ../lib/x.a}), a replayed {@code rmdir} of a directory that has files again, and a
 * write through an existing symlink.
 */
class RunReplayCasesIT {
    @TempDir
    Path tmp;
    private Path work;
    private int runs;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
    }

    private record Run(LarderRun run, RunStats stats) {
        String describe() {
            return "exit " + run.exit() + ", stats " + stats + "\nstderr:\n" + run.stderr();
        }
    }

    private Run larder(String script) throws Exception {
        Path stats = tmp.resolve("stats-" + ++runs + ".json");
        LarderRun r = LarderRun.in(work, tmp, Map.of(), "run", "--dir", tmp.resolve("store").toString(), "--explain",
                "--stats-json", stats.toString(), "--", "sh", "-c", script);
        return new Run(r, StatsJson.run(stats));
    }

    @Test
    void outputReadBackThroughDotDot_replaysAfterTheOutputsAreRemoved() throws Exception {
        Files.createDirectories(work.resolve("lib"));
        Files.createDirectories(work.resolve("prog"));
        String script = "echo obj > lib/a.o; cat prog/../lib/a.o > prog/out";
        assertEquals("miss", larder(script).stats().result());
        Files.delete(work.resolve("lib/a.o"));
        Files.delete(work.resolve("prog/out"));
        Run again = larder(script);
        assertEquals("hit", again.stats().result(), "after make clean: " + again.describe());
        assertEquals("obj\n", Files.readString(work.resolve("prog/out")));
        assertEquals("obj\n", Files.readString(work.resolve("lib/a.o")));
    }

    @Test
    void replayedRmdir_neverDeletesFilesAddedSince() throws Exception {
        Files.createDirectories(work.resolve("d"));
        assertEquals(0, larder("rmdir d").run().exit());
        Files.createDirectories(work.resolve("d"));
        Files.writeString(work.resolve("d/keep"), "precious\n");
        Run second = larder("rmdir d");
        assertEquals("precious\n", Files.readString(work.resolve("d/keep")), "d/keep after: " + second.describe());
        assertEquals(1, second.run().exit(), "as untraced: rmdir fails on a non-empty directory; " + second.describe());
        assertTrue(second.run().stderr().contains("Directory not empty"), second.describe());
        assertFalse(second.stats().result().equals("hit"), second.describe());
    }

    @Test
    void writeThroughAnExistingSymlink_replaysIntoItsTarget() throws Exception {
        Files.writeString(work.resolve("real"), "old\n");
        Files.createSymbolicLink(work.resolve("link"), Path.of("real"));
        assertEquals("miss", larder("echo new > link").stats().result());
        Files.writeString(work.resolve("real"), "old\n");
        Run again = larder("echo new > link");
        assertEquals("hit", again.stats().result(), again.describe());
        assertEquals("new\n", Files.readString(work.resolve("real")), "the link's target after the replay");
        assertTrue(Files.isSymbolicLink(work.resolve("link")), "link is still a symlink");
        // Pointed elsewhere, the link is another input: a miss, and the new target is written.
        Files.writeString(work.resolve("other"), "x\n");
        Files.delete(work.resolve("link"));
        Files.createSymbolicLink(work.resolve("link"), Path.of("other"));
        Run moved = larder("echo new > link");
        assertEquals("miss", moved.stats().result(), moved.describe());
        assertEquals("new\n", Files.readString(work.resolve("other")));
    }

    @Test
    void chmodOfAnExistingDirectory_isReplayed() throws Exception {
        Path d = Files.createDirectories(work.resolve("d"));
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals("miss", larder("chmod 700 d").stats().result());
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Run again = larder("chmod 700 d");
        assertEquals("hit", again.stats().result(), again.describe());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(d)),
                "d's mode after the replay");
    }
}
