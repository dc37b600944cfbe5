package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/larder run} as a real process, with the environment as the key sees it: the shell's
 * bookkeeping variables and make's jobserver options are not keyed, {@code --env-ignore} and
 * {@code $LARDER_ENV_IGNORE} leave more out, any other variable counts; and a tree that calls
 * ptrace (strace) is never cached.
 */
class RunEnvironmentIT {
    private static final String SCRIPT = "printf '%s\\n' \"$FOO\" > seen.txt; echo done";

    @TempDir
    Path tmp;

    private Path work;
    private int launches;

    @BeforeEach
    void dirs() throws IOException {
        work = Files.createDirectories(tmp.resolve("work")).toRealPath();
    }

    /** {@code larder run --explain OPTIONS -- COMMAND} in the work dir with {@code env} added; its stats. */
    private RunStats larder(Map<String, String> env, List<String> options, String... command) throws Exception {
        Path stats = tmp.resolve("stats-" + (++launches) + ".json");
        List<String> args = new ArrayList<>(List.of("run", "--dir", tmp.resolve("store").toString(), "--explain",
                "--stats-json", stats.toString()));
        args.addAll(options);
        args.add("--");
        args.addAll(List.of(command));
        LarderRun r = LarderRun.in(work, tmp, env, args.toArray(String[]::new));
        assertTrue(Files.isRegularFile(stats), "larder run wrote no --stats-json file: exit " + r.exit()
                + "\nstderr:\n" + r.stderr());
        return StatsJson.run(stats);
    }

    private RunStats script(Map<String, String> env, List<String> options) throws Exception {
        return larder(env, options, "sh", "-c", SCRIPT);
    }

    /** The shell's bookkeeping as two different shells set it, with FOO=1. */
    private Map<String, String> shell(String oldpwd, String shlvl, String underscore, String makeflags) {
        Map<String, String> env = new HashMap<>(Map.of("OLDPWD", oldpwd, "SHLVL", shlvl, "_", underscore,
                "MAKEFLAGS", makeflags, "MFLAGS", "-" + makeflags, "FOO", "1"));
        env.put("LARDER_ENV_IGNORE", "");
        return env;
    }

    private static void assertResult(String want, RunStats s, String when) {
        assertEquals(want, s.result(), when + ": got " + s.result() + " (" + s.reason() + "), want " + want);
    }

    private String seen() throws IOException {
        return Files.readString(work.resolve("seen.txt"));
    }

    @Test
    void run_differingOnlyInBookkeepingVariables_hitsAnotherVariableMisses() throws Exception {
        assertResult("miss", script(shell(tmp.toString(), "1", "/usr/bin/a", "k -j2 --jobserver-auth=3,4"),
                List.of()), "first run");
        Files.delete(work.resolve("seen.txt"));
        assertResult("hit", script(shell(work.toString(), "6", "/usr/bin/b", "k -j2 --jobserver-auth=5,6"),
                List.of()), "other OLDPWD, SHLVL, _ and jobserver");
        assertEquals("1\n", seen(), "the replayed output");

        Map<String, String> foo = shell(work.toString(), "6", "/usr/bin/b", "k -j2 --jobserver-auth=5,6");
        foo.put("FOO", "2");
        assertResult("miss", script(foo, List.of()), "FOO=2");
        assertEquals("2\n", seen(), "the command got FOO");
        assertResult("miss", script(shell(work.toString(), "6", "/usr/bin/b", "k -j3 --jobserver-auth=5,6"),
                List.of()), "make -j3 instead of -j2");
    }

    @Test
    void run_envIgnoreAndLarderEnvIgnore_leaveTheVariableOutButPassIt() throws Exception {
        Map<String, String> env = shell(tmp.toString(), "2", "/usr/bin/a", "");
        assertResult("miss", script(env, List.of("--env-ignore", "FOO")), "first run, FOO=1");
        assertEquals("1\n", seen(), "the command got the ignored FOO");

        env.put("FOO", "2");
        assertResult("hit", script(env, List.of("--env-ignore", "FOO", "--env-ignore", "BAR")),
                "--env-ignore FOO, FOO=2");
        assertEquals("1\n", seen(), "a hit replays what the recorded run wrote");

        env.put("FOO", "3");
        env.put("LARDER_ENV_IGNORE", "BAR:FOO");
        assertResult("hit", script(env, List.of()), "LARDER_ENV_IGNORE=BAR:FOO, FOO=3");

        env.put("FOO", "4");
        env.put("LARDER_ENV_IGNORE", "");
        assertResult("miss", script(env, List.of()), "nothing ignored, FOO=4");
        assertEquals("4\n", seen(), "the command got FOO");
    }

    @Test
    void run_envIgnoreNotAName_isAUsageErrorAndRunsNothing() throws Exception {
        LarderRun r = LarderRun.in(work, tmp, Map.of(), "run", "--dir", tmp.resolve("store").toString(),
                "--env-ignore", "FOO=1", "--", "touch", "ran");
        assertEquals(2, r.exit(), "exit; stderr:\n" + r.stderr());
        assertTrue(r.stderr().contains("--env-ignore: got 'FOO=1', want a variable name"), "got " + r.stderr());
        assertTrue(Files.notExists(work.resolve("ran")), "the command ran");
    }

    @Test
    void run_strace_isUncacheableAndRunsAgain() throws Exception {
        assumeTrue(Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, "strace"))),
                "strace is not on PATH: no program that uses ptrace to run");
        for (int i = 1; i <= 2; i++) {
            RunStats s = larder(Map.of(), List.of(), "strace", "-f", "-o", "/dev/null", "true");
            assertResult("uncacheable", s, "run " + i);
            assertTrue(s.reason().startsWith("used ptrace"), "reason: got " + s.reason() + ", want used ptrace");
            assertTrue(s.executions() >= 1, "executions on run " + i + ": got " + s.executions() + ", want >= 1");
        }
    }
}
