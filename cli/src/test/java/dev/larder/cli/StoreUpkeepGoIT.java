package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.helper.HelperStats;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real go builds against one store while it is shared, damaged and trimmed. */
@Tag("go")
class StoreUpkeepGoIT {
    private static final Pattern COMPILE_STEP = Pattern.compile("pkg/tool/[^/\\s]+/compile\\s");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path store() {
        return tmp.resolve("store");
    }

    /** A go command for module {@code name}, with its own GOCACHE and stats file, on the shared store. */
    private GoRun go(String name, Map<String, String> extraEnv) throws IOException {
        Path gocache = Files.createDirectories(tmp.resolve("gocache-" + name));
        Path home = Files.createDirectories(tmp.resolve("home-" + name));
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("GOCACHEPROG", GoCacheProgIT.larder() + " helper --dir " + store() + " --stats-json "
                + tmp.resolve("stats-" + name + ".json"));
        env.put("GOCACHE", gocache.toString());
        return new GoRun(GoToolchain.require(GoToolchain.GO124), home, env);
    }

    private void wipeGoCache(String name) throws IOException {
        Path gocache = tmp.resolve("gocache-" + name);
        try (Stream<Path> s = Files.walk(gocache)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.delete(p);
            }
        }
        Files.createDirectories(gocache);
    }

    /** The helper stats of go build {@code name}. */
    private HelperStats stats(String name) throws IOException {
        return StatsJson.helper(tmp.resolve("stats-" + name + ".json"));
    }

    /** The stats of {@code larder run} {@code name}. */
    private RunStats runStats(String name) throws IOException {
        return StatsJson.run(tmp.resolve("stats-" + name + ".json"));
    }

    private LarderRun larder(Map<String, String> env, String... args) throws Exception {
        return LarderRun.of(tmp, env, args);
    }

    private void assertVerifiesClean() throws Exception {
        LarderRun v = larder(Map.of(), "verify", "--dir", store().toString());
        assertEquals(0, v.exit(), v.stdout() + v.stderr());
        assertTrue(v.stdout().contains(": clean"), v.stdout());
    }

    @Test
    void fourBuildsAndTwoRunsAtOnce_allSucceedAndTheStoreVerifiesClean() throws Exception {
        List<String> names = List.of("one", "two", "three", "four");
        Map<String, Path> mods = new HashMap<>();
        for (String n : names) {
            mods.put(n, GoModule.write(tmp.resolve("mod-" + n), "example.com/" + n));
        }
        // Two `larder run`s of a C compile share the store with the go builds.
        List<String> runs = List.of("run-a", "run-b");
        Map<String, byte[]> objects = new HashMap<>();
        for (String r : runs) {
            Files.createDirectories(tmp.resolve(r));
            Files.writeString(tmp.resolve(r).resolve("in.c"), "int " + r.replace('-', '_') + "(int x) { return x * 3; }\n");
        }
        for (int round = 1; round <= 2; round++) {
            ExecutorService pool = Executors.newFixedThreadPool(names.size() + runs.size());
            List<Future<GoRun.Result>> builds = new ArrayList<>();
            for (String n : names) {
                GoRun go = go(n, Map.of());
                builds.add(pool.submit(() -> go.run(mods.get(n), "build", "-x", "./...")));
            }
            List<Future<LarderRun>> traced = new ArrayList<>();
            for (String r : runs) {
                Path w = tmp.resolve(r);
                Files.deleteIfExists(w.resolve("in.o"));
                // The compile writes in w, outside larder's working directory: allowed to replay there.
                traced.add(pool.submit(() -> larder(Map.of(), "run", "--dir", store().toString(), "--stats-json",
                        tmp.resolve("stats-" + r + ".json").toString(), "--allow-write", w.toString(), "--",
                        "sh", "-c", "cd '" + w + "' && cc -O2 -c in.c -o in.o")));
            }
            for (int i = 0; i < runs.size(); i++) {
                LarderRun lr = traced.get(i).get(10, TimeUnit.MINUTES);
                assertEquals(0, lr.exit(), "round " + round + ", " + runs.get(i) + ": " + lr.stderr());
                RunStats s = runStats(runs.get(i));
                byte[] obj = Files.readAllBytes(tmp.resolve(runs.get(i)).resolve("in.o"));
                if (round == 1) {
                    assertEquals("miss", s.result(), "round 1, " + runs.get(i) + ": stats " + s);
                    assertTrue(s.stored(), "round 1, " + runs.get(i) + ": stats " + s);
                    objects.put(runs.get(i), obj);
                } else {
                    assertEquals("hit", s.result(), "round 2, " + runs.get(i) + ": stats " + s);
                    assertTrue(java.util.Arrays.equals(objects.get(runs.get(i)), obj),
                            "round 2, " + runs.get(i) + ": the replayed in.o differs from the compiled one");
                }
            }
            for (int i = 0; i < names.size(); i++) {
                GoRun.Result r = builds.get(i).get(10, TimeUnit.MINUTES).assertSuccess();
                HelperStats s = stats(names.get(i));
                assertEquals(0, s.errors(), "round " + round + ", " + names.get(i) + ": stats " + s);
                if (round == 2) {
                    assertFalse(COMPILE_STEP.matcher(r.output()).find(),
                            "round 2, " + names.get(i) + ": got a compile step, want all hits:\n" + r.output());
                }
            }
            pool.shutdown();
            for (String n : names) {
                wipeGoCache(n);
            }
        }
        assertVerifiesClean();
    }

    @Test
    void blobDamaged_nextBuildMissesItAndSucceeds() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/damaged");
        GoRun go = go("d", Map.of());
        go.run(mod, "build", "./...").assertSuccess();
        Path largest;
        try (Stream<Path> s = Files.walk(store().resolve("blobs"))) {
            largest = s.filter(Files::isRegularFile).max((a, b) -> Long.compare(a.toFile().length(),
                    b.toFile().length())).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(largest);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(largest, bytes);

        wipeGoCache("d");
        GoRun.Result again = go.run(mod, "build", "-x", "./...").assertSuccess();
        HelperStats s = stats("d");
        assertEquals(0, s.errors(), "stats " + s);
        assertTrue(s.puts() >= 1, "the damaged output was not stored again: stats " + s);
        assertTrue(COMPILE_STEP.matcher(again.output()).find() || s.misses() > 1,
                "the damaged output was served: stats " + s);
        assertVerifiesClean();
    }

    @Test
    void trim_toABudget_keepsWhatWasUsedRecentlyAndTheNextBuildsWork() throws Exception {
        Path old = GoModule.write(tmp.resolve("mod-old"), "example.com/old");
        Path recent = GoModule.write(tmp.resolve("mod-recent"), "example.com/recent");
        go("old", Map.of()).run(old, "build", "./...").assertSuccess();
        go("recent", Map.of()).run(recent, "build", "./...").assertSuccess();
        // Two hours on, only the recent module is built again: its entries (and the standard
        // library's) are used then, the old module's are not.
        Map<String, String> later = Map.of("LARDER_TEST_CLOCK_OFFSET", "7200");
        wipeGoCache("recent");
        go("recent", later).run(recent, "build", "./...").assertSuccess();

        JsonNode before = JSON.readTree(larder(later, "stats", "--json", "--dir", store().toString()).stdout());
        long budget = before.get("bytes").asLong() - 1;
        LarderRun trim = larder(later, "trim", "--json", "--max-size", String.valueOf(budget),
                "--dir", store().toString());
        assertEquals(0, trim.exit(), trim.stdout() + trim.stderr());
        JsonNode t = JSON.readTree(trim.stdout());
        assertTrue(t.get("entriesRemoved").asLong() >= 1, "trim removed nothing: " + t);
        assertTrue(t.get("withinBudget").asBoolean(), "trim did not reach the budget: " + t);
        assertTrue(t.get("bytesLeft").asLong() <= budget, "trim: " + t);

        wipeGoCache("recent");
        GoRun.Result kept = go("recent", later).run(recent, "build", "-x", "./...").assertSuccess();
        assertFalse(COMPILE_STEP.matcher(kept.output()).find(),
                "the recently used module was trimmed: its build compiled\n" + kept.output());
        wipeGoCache("old");
        go("old", later).run(old, "build", "./...").assertSuccess();
        assertVerifiesClean();
    }
}
