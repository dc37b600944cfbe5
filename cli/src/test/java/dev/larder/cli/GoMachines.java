package dev.larder.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.helper.HelperStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * "Machines" for tests of shared caches: each {@code tmp/machine-NAME} with its own local store,
 * GOCACHE, home and helper stats, running the real go with larder as its GOCACHEPROG.
 */
final class GoMachines {
    private final Path tmp;

    GoMachines(Path tmp) {
        this.tmp = tmp;
    }

    /** A go command on machine {@code name}, its helper given {@code helperArgs} (its tiers, keys…). */
    GoRun machine(String name, Map<String, String> extraEnv, String... helperArgs) throws IOException {
        Path m = Files.createDirectories(tmp.resolve("machine-" + name));
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("GOCACHEPROG", GoCacheProgIT.larder() + " helper --dir " + m.resolve("local") + " --stats-json "
                + m.resolve("stats.json") + " " + String.join(" ", helperArgs));
        env.put("GOCACHE", Files.createDirectories(m.resolve("gocache")).toString());
        return new GoRun(GoToolchain.require(GoToolchain.GO124), Files.createDirectories(m.resolve("home")), env);
    }

    /** The stats of machine {@code name}'s last helper session. */
    HelperStats stats(String name) throws IOException {
        return StatsJson.helper(tmp.resolve("machine-" + name).resolve("stats.json"));
    }

    /** Builds cmd/hello on machine {@code name} and checks the binary greets {@code who} as it should. */
    GoRun.Result buildHello(GoRun go, Path mod, String name, String who) throws Exception {
        Path bin = tmp.resolve("machine-" + name).resolve("hello");
        GoRun.Result r = go.run(mod, "build", "-x", "-o", bin.toString(), "./cmd/hello").assertSuccess();
        Process p = new ProcessBuilder(bin.toString(), who).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        assertEquals("Hello, " + who + "!\n", out, "the binary built on " + name);
        return r;
    }
}
