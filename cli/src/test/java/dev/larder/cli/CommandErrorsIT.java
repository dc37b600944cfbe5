package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.ProtocolClient;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How commands fail, as real processes through bin/larder: one line on stderr and the exit status
 * {@code Main} picks (2 for bad usage, 1 for an I/O error), never a stack trace. Run through the
 * daemon (a helper session starts it first) and again with {@code LARDER_BRIDGE=0}, each command
 * in a JVM of its own.
 */
class CommandErrorsIT {
    @TempDir
    Path tmp;
    private Map<String, String> env;

    @BeforeEach
    void startWithAStore() throws Exception {
        env = Map.of("LARDER_DAEMON_DIR", tmp.resolve("run").toString());
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir", store().toString())
                .redirectError(tmp.resolve("helper.err").toFile());
        pb.environment().putAll(env);
        try (ProtocolClient c = ProtocolClient.start(pb, Duration.ofSeconds(60))) {
            ActionId a = new ActionId(new byte[32]);
            assertFalse(c.put(a, "hello".getBytes(StandardCharsets.UTF_8)).get().isError(), "put");
        }
    }

    @AfterEach
    void stopDaemon() throws Exception {
        LarderRun.stopDaemons(tmp, env);
    }

    private Path store() {
        return tmp.resolve("store");
    }

    /** {@code bin/larder ARGS} with its stdout sent to /dev/full, a device every write to fails with ENOSPC. */
    private LarderRun toFullDisk(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.to(new File("/dev/full")))
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "larder " + String.join(" ", args) + " did not finish");
        return new LarderRun(p.exitValue(), "", Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void assertNoStackTrace(LarderRun r, String what) {
        assertFalse(r.stderr().contains("\tat ") || r.stderr().contains("Exception"),
                what + ": got a stack trace on stderr, want none: " + r.stderr());
    }

    @Test
    void statsJson_toAFullDisk_printsOneLineAndExitsOne() throws Exception {
        LarderRun r = toFullDisk("stats", "--json", "--dir", store().toString());
        assertEquals(1, r.exit(), "exit status; stderr: " + r.stderr());
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), "stderr: got " + r.stderr() + ", want one line");
        assertTrue(lines.get(0).startsWith("larder stats: ") && lines.get(0).contains("No space left on device"),
                "stderr: got " + lines.get(0) + ", want larder stats: ... No space left on device");
    }

    @Test
    void upkeepOutput_toAFullDisk_printsOneLineAndExitsOne() throws Exception {
        for (List<String> args : List.of(List.of("stats"), List.of("verify"), List.of("verify", "--json"),
                List.of("trim", "--max-size", "1GiB", "--dry-run"))) {
            List<String> withDir = new ArrayList<>(args);
            withDir.addAll(List.of("--dir", store().toString()));
            LarderRun r = toFullDisk(withDir.toArray(String[]::new));
            assertEquals(1, r.exit(), args + ": exit status; stderr: " + r.stderr());
            List<String> lines = r.stderr().lines().toList();
            assertEquals(1, lines.size(), args + ": stderr: got " + r.stderr() + ", want one line");
            assertTrue(lines.get(0).startsWith("larder " + args.get(0) + ": "), args + ": got " + lines.get(0));
        }
    }

    @Test
    void usageError_exitsTwoWithTheMessageAndNoStackTrace() throws Exception {
        // A value the command checks itself (IllegalArgumentException), and one picocli refuses.
        LarderRun size = LarderRun.of(tmp, env, "trim", "--max-size", "lots", "--dir", store().toString());
        assertEquals(2, size.exit(), "trim --max-size lots: exit status; stderr: " + size.stderr());
        assertTrue(size.stderr().startsWith("--max-size: not a size: lots"), "stderr: got " + size.stderr());
        assertNoStackTrace(size, "trim --max-size lots");

        LarderRun largest = LarderRun.of(tmp, env, "stats", "--largest", "many", "--dir", store().toString());
        assertEquals(2, largest.exit(), "stats --largest many: exit status; stderr: " + largest.stderr());
        assertTrue(largest.stderr().contains("'many' is not an int"), "stderr: got " + largest.stderr());
        assertNoStackTrace(largest, "stats --largest many");

        LarderRun workers = LarderRun.of(tmp, env, "helper", "--workers", "0", "--dir", store().toString());
        assertEquals(2, workers.exit(), "helper --workers 0: exit status; stderr: " + workers.stderr());
        assertTrue(workers.stderr().startsWith("--workers must be at least 1, got 0"), "stderr: got " + workers.stderr());
        assertEquals("", workers.stdout(), "helper --workers 0: got a session, want none before a usage error");
        assertNoStackTrace(workers, "helper --workers 0");
    }

    @Test
    void ioError_exitsOneWithTheCommandsNameAndNoStackTrace() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "not a store");
        for (String cmd : List.of("stats", "verify")) {
            LarderRun r = LarderRun.of(tmp, env, cmd, "--dir", file.toString());
            assertEquals(1, r.exit(), cmd + ": exit status; stderr: " + r.stderr());
            assertEquals(List.of("larder " + cmd + ": no store at " + file + " (nothing has been cached there yet)"),
                    r.stderr().lines().toList(), cmd + ": stderr");
        }
        // serve runs in a JVM of its own, never in the daemon: opening a store under a file fails.
        LarderRun serve = LarderRun.of(tmp, env, "serve", "--listen", "127.0.0.1:0", "--dir",
                file.resolve("store").toString());
        assertEquals(1, serve.exit(), "serve: exit status; stderr: " + serve.stderr());
        assertEquals(1, serve.stderr().lines().count(), "serve: stderr: got " + serve.stderr() + ", want one line");
        assertTrue(serve.stderr().startsWith("larder serve: "), "serve: stderr: got " + serve.stderr());
        assertNoStackTrace(serve, "serve");
    }

    @Test
    void ioError_withDebugLogging_addsTheStackTrace() throws Exception {
        Map<String, String> debug = new java.util.HashMap<>(env);
        debug.put("LARDER_LOG", "debug");
        LarderRun r = LarderRun.of(tmp, debug, "stats", "--dir", tmp.resolve("none").toString());
        assertEquals(1, r.exit(), "exit status; stderr: " + r.stderr());
        assertTrue(r.stderr().contains("larder stats: no store at "), "stderr: got " + r.stderr());
        assertTrue(r.stderr().contains("\tat dev.larder.cli."), "stderr: got " + r.stderr() + ", want a stack trace");
    }
}
