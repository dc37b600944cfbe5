package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a {@code bin/larder run} ends, with real processes: a signal sent to larder reaches the
 * command, which finishes as it would untraced, and nothing is recorded; processes the command
 * leaves running are not waited for and go on running, and such a run is not recorded.
 */
class RunSignalsIT {
    /** Bounded waits: nothing here should take more than a few seconds on an idle machine. */
    private static final long WAIT_SECONDS = 120;

    @TempDir
    Path tmp;

    private Path work;
    private int launches;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
    }

    /** A started {@code larder run}, its stdout and stderr in files, its counters in {@code stats}. */
    private record Started(Process process, Path out, Path err, Path stats) {
        String stdout() throws IOException {
            return Files.readString(out, StandardCharsets.UTF_8);
        }

        String describe() throws IOException {
            return "stdout:\n" + stdout() + "\nstderr:\n" + Files.readString(err, StandardCharsets.UTF_8);
        }

        /** Waits (bounded) for larder to exit; returns its exit code. */
        int await() throws Exception {
            assertTrue(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS), "larder run did not finish; " + describe());
            return process.exitValue();
        }

        RunStats runStats() throws IOException {
            assertTrue(Files.isRegularFile(stats), "larder run wrote no --stats-json file: " + describe());
            return StatsJson.run(stats);
        }
    }

    private Started start(String script) throws IOException {
        int n = ++launches;
        Path out = tmp.resolve("larder-" + n + ".out");
        Path err = tmp.resolve("larder-" + n + ".err");
        Path stats = tmp.resolve("stats-" + n + ".json");
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString(), "run", "--dir",
                tmp.resolve("store").toString(), "--stats-json", stats.toString(), "--explain", "--", "sh", "-c",
                script));
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Started(p, out, err, stats);
    }

    /** Waits (bounded) until {@code file} holds {@code text}; false if it never did. */
    private static boolean awaitText(Path file, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(file) && Files.readString(file, StandardCharsets.UTF_8).contains(text)) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    private static final String TRAPPING = "trap 'echo trapped > trapped.txt; kill $!; exit 3' TERM; "
            + "echo started; sleep 60 & wait";

    @Test
    void run_sigtermToLarder_reachesTheCommandsTrapAndRecordsNothing() throws Exception {
        for (int round = 1; round <= 2; round++) {
            Files.deleteIfExists(work.resolve("trapped.txt"));
            Started s = start(TRAPPING);
            assertTrue(awaitText(s.out(), "started"), "the command never started; " + s.describe());
            // `kill -TERM <larder's pid>`: bin/larder execs the JVM, so this is larder itself.
            s.process().destroy();
            int exit = s.await();
            // As a shell reports it: the command's own status (its trap exits 3).
            assertEquals(3, exit, "round " + round + ": exit: got " + exit + ", want 3; " + s.describe());
            assertTrue(Files.isRegularFile(work.resolve("trapped.txt")),
                    "round " + round + ": the command's TERM trap did not run; " + s.describe());
            RunStats stats = s.runStats();
            assertEquals("uncacheable", stats.result(), "round " + round + ": result; " + s.describe());
            assertTrue(stats.reason().contains("interrupted by signal 15"),
                    "reason: got " + stats.reason() + ", want interrupted by signal 15");
        }
    }

    @Test
    void run_backgroundProcessLeftRunning_notWaitedForKeepsRunningAndIsNotRecorded() throws Exception {
        // Under Yama's ptrace_scope no keeper may take them over: larder traces them to their end.
        Path yama = Path.of("/proc/sys/kernel/yama/ptrace_scope");
        assumeTrue(!Files.exists(yama) || Files.readString(yama).strip().equals("0"), "Yama restricts ptrace here");
        Path done = work.resolve("bg.done");
        Started s = start("(sleep 10; echo done > bg.done) & echo $! > bg.pid; echo started");
        int exit = s.await();
        assertEquals(0, exit, "exit; " + s.describe());
        long pid = Long.parseLong(Files.readString(work.resolve("bg.pid"), StandardCharsets.UTF_8).strip());
        // Larder has exited while the background subshell still sleeps: it was not waited for.
        Optional<ProcessHandle> bg = ProcessHandle.of(pid);
        assertTrue(bg.isPresent() && bg.get().isAlive() && !Files.exists(done),
                "the background process had ended when larder exited; " + s.describe());
        assertTrue(s.stdout().contains("started"), "stdout; " + s.describe());
        RunStats stats = s.runStats();
        assertEquals("uncacheable", stats.result(), "result; " + s.describe());
        assertTrue(stats.reason().contains("left a process running"),
                "reason: got " + stats.reason() + ", want left a process running");
        // It goes on untraced and finishes normally (its syscalls still work).
        assertTrue(awaitText(done, "done"), "the background process did not finish its work; " + s.describe());
        bg.get().onExit().get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
}
