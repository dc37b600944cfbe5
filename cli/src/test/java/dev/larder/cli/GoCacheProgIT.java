package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.helper.HelperStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real go command, Go 1.24 and Go 1.23 (legacy ObjectID), using {@code bin/larder helper} as
 * its GOCACHEPROG: a second build after wiping GOCACHE compiles nothing.
 */
@Tag("go")
class GoCacheProgIT {
    private static final Pattern COMPILE_STEP = Pattern.compile("pkg/tool/[^/\\s]+/compile\\s");
    private static final Pattern LINK_STEP = Pattern.compile("pkg/tool/[^/\\s]+/link\\s");

    @TempDir
    Path tmp;

    private Path store;
    private Path stats;
    private Path gocache;

    private GoRun go(GoToolchain toolchain) throws IOException {
        store = tmp.resolve("store");
        stats = tmp.resolve("stats.json");
        gocache = tmp.resolve("gocache");
        Files.createDirectories(gocache);
        Files.createDirectories(tmp.resolve("home"));
        String helper = larder() + " helper --dir " + store + " --stats-json " + stats;
        return new GoRun(toolchain, tmp.resolve("home"), Map.of(
                "GOCACHEPROG", helper,
                "GOCACHE", gocache.toString()));
    }

    static Path larder() {
        return Path.of(System.getProperty("larder.root", ".")).toAbsolutePath().normalize()
                .resolve("bin/larder");
    }

    /** Empties GOCACHE: cmd/go still needs it to exist and be writable with GOCACHEPROG set. */
    private void wipeGoCache() throws IOException {
        try (Stream<Path> s = Files.walk(gocache)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.delete(p);
            }
        }
        Files.createDirectories(gocache);
    }

    private HelperStats readStats() throws IOException {
        assertTrue(Files.exists(stats), "got no stats file at " + stats + ", want one written by the helper");
        return StatsJson.helper(stats);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {GoToolchain.GO124, GoToolchain.GO123})
    void build_afterWipingGoCache_compilesNothingAndAllHits(String name) throws Exception {
        GoToolchain toolchain = GoToolchain.require(name);
        GoRun go = go(toolchain);
        Path mod = GoModule.write(tmp.resolve("mod"));

        GoRun.Result first = go.run(mod, "build", "-x", "./...").assertSuccess();
        assertTrue(COMPILE_STEP.matcher(first.output()).find(),
                "first build: got no compile step in go build -x output, want compiles:\n" + first.output());
        HelperStats s1 = readStats();
        assertTrue(s1.puts() > 0, "first build: got puts=" + s1.puts() + ", want > 0");
        assertTrue(s1.misses() > 0, "first build: got misses=" + s1.misses() + ", want > 0");
        assertEquals(0, s1.errors(), "first build: errors, stats " + s1);

        wipeGoCache();
        Files.delete(stats);
        GoRun.Result second = go.run(mod, "build", "-x", "./...").assertSuccess();
        assertTrue(!COMPILE_STEP.matcher(second.output()).find(),
                "second build: got a compile step, want none (all from the cache):\n" + second.output());
        HelperStats s2 = readStats();
        assertTrue(s2.hits() > 0, "second build: got hits=" + s2.hits() + ", want > 0");
        // cmd/go never caches the executables go build links (buildid.go: "Executables are not
        // cached by default"), so it looks each main package's link action up, misses, and links
        // again. Those lookups are the only misses allowed.
        long links = LINK_STEP.matcher(second.output()).results().count();
        assertEquals(1, links, "second build: link steps (cmd/hello)");
        assertEquals(links, s2.misses(), "second build: misses other than link actions, stats " + s2);
        assertEquals(0, s2.errors(), "second build errors, stats " + s2);

        // Packages alone, nothing to link: every lookup is a hit.
        wipeGoCache();
        Files.delete(stats);
        GoRun.Result third = go.run(mod, "build", "-x", "./greet").assertSuccess();
        assertTrue(!COMPILE_STEP.matcher(third.output()).find() && !LINK_STEP.matcher(third.output()).find(),
                "build ./greet: got a compile or link step, want none:\n" + third.output());
        HelperStats s3 = readStats();
        assertTrue(s3.hits() > 0, "build ./greet: got hits=" + s3.hits() + ", want > 0");
        assertEquals(0, s3.misses(), "build ./greet misses, stats " + s3);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {GoToolchain.GO124, GoToolchain.GO123})
    void test_twiceWithWipedGoCache_secondIsCached(String name) throws Exception {
        GoRun go = go(GoToolchain.require(name));
        Path mod = GoModule.write(tmp.resolve("mod"));

        GoRun.Result first = go.run(mod, "test", "./...").assertSuccess();
        assertTrue(first.output().contains("ok  \t" + GoModule.PATH + "/greet\t")
                        && !first.output().contains("(cached)"),
                "first go test: got\n" + first.output() + "\nwant a fresh ok line");
        wipeGoCache();
        GoRun.Result second = go.run(mod, "test", "./...").assertSuccess();
        assertTrue(second.output().contains("ok  \t" + GoModule.PATH + "/greet\t(cached)"),
                "second go test: got\n" + second.output() + "\nwant greet (cached)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {GoToolchain.GO124, GoToolchain.GO123})
    void vet_withHelper_succeeds(String name) throws Exception {
        GoRun go = go(GoToolchain.require(name));
        Path mod = GoModule.write(tmp.resolve("mod"));
        go.run(mod, "vet", "./...").assertSuccess();
        wipeGoCache();
        go.run(mod, "vet", "./...").assertSuccess();
        assertEquals(0, readStats().errors(), "vet errors, stats " + readStats());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {GoToolchain.GO124, GoToolchain.GO123})
    void listExport_pathsExistAfterHelperExits(String name) throws Exception {
        GoRun go = go(GoToolchain.require(name));
        Path mod = GoModule.write(tmp.resolve("mod"));
        GoRun.Result r = go.run(mod, "list", "-export", "-f", "{{.Export}}", "./greet").assertSuccess();
        List<String> lines = r.output().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "go list output lines: " + r.output());
        Path export = Path.of(lines.get(0).trim());
        awaitHelpersGone();
        assertTrue(export.startsWith(store), "export file: got " + export + ", want a DiskPath under " + store);
        assertTrue(Files.isRegularFile(export) && Files.size(export) > 0,
                "export file " + export + ": got missing or empty after the helper exited, want the archive");
    }

    /** Waits until no helper serving this test's store is running (cmd/go does not wait for it). */
    private void awaitHelpersGone() throws Exception {
        String marker = "--dir " + store;
        for (ProcessHandle ph : ProcessHandle.allProcesses().toList()) {
            String cmd = ph.info().commandLine().orElse("");
            if (cmd.contains(marker) && cmd.contains(" helper ")) {
                ph.onExit().get(60, TimeUnit.SECONDS);
            }
        }
    }
}
