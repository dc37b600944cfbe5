package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One finished {@code bin/larder} command, run as a real process with stdin from /dev/null and
 * its output captured in files under a test's temp directory.
 */
record LarderRun(int exit, String stdout, String stderr) {
    /** Runs {@code bin/larder ARGS} with {@code env} added, and waits for it (at most 10 minutes). */
    static LarderRun of(Path tmp, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return in(null, tmp, env, args);
    }

    /** As {@link #of}, with {@code dir} as the working directory (null: this JVM's). */
    static LarderRun in(Path dir, Path tmp, Map<String, String> env, String... args) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(GoCacheProgIT.larder().toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "larder " + String.join(" ", args) + " did not finish");
        return new LarderRun(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    /**
     * Stops the daemons of {@code env}'s daemon directory and waits (at most a minute each) until
     * they have exited: {@code daemon stop} only asks, and a daemon still writing (its warm-up
     * store, its log) would race the deletion of a test's temporary directory.
     */
    static void stopDaemons(Path tmp, Map<String, String> env) throws Exception {
        List<Long> pids = new ArrayList<>();
        for (String line : of(tmp, env, "daemon", "status").stdout().split("\n")) {
            if (line.startsWith("pid ")) {
                pids.add(Long.parseLong(line.substring(4).trim()));
            }
        }
        of(tmp, env, "daemon", "stop");
        for (long pid : pids) {
            Optional<ProcessHandle> p = ProcessHandle.of(pid);
            if (p.isPresent()) {
                p.get().onExit().get(1, TimeUnit.MINUTES);
            }
        }
    }
}
