package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.larder.helper.HelperStats;
import dev.larder.tracer.RunStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real go builds on "machines" (each its own local store and GOCACHE) sharing a remote cache:
 * real nginx with WebDAV PUT, and {@code larder serve}. The remote fails in the ways remotes do;
 * the build always succeeds and nothing wrong is served.
 */
@Tag("go")
class RemoteCacheIT {
    private static final Pattern COMPILE_STEP = Pattern.compile("pkg/tool/[^/\\s]+/compile\\s");

    @TempDir
    Path tmp;

    private GoRun machine(String name, Map<String, String> extraEnv, String... helperArgs) throws IOException {
        return new GoMachines(tmp).machine(name, extraEnv, helperArgs);
    }

    private HelperStats stats(String name) throws IOException {
        return new GoMachines(tmp).stats(name);
    }

    private GoRun.Result buildHello(GoRun go, Path mod, String name) throws Exception {
        return new GoMachines(tmp).buildHello(go, mod, name, "remote");
    }

    private void assertLocalVerifiesClean(String name) throws Exception {
        LarderRun v = LarderRun.of(tmp, Map.of(), "verify", "--dir", tmp.resolve("machine-" + name).resolve("local").toString());
        assertEquals(0, v.exit(), v.stdout() + v.stderr());
        assertTrue(v.stdout().contains(": clean"), v.stdout());
    }

    private static long countFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    private static long warnings(String output) {
        return output.lines().filter(l -> l.startsWith("larder: warning:")).count();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nginx", "larder serve"})
    void machineB_afterMachineA_buildsWithZeroCompileSteps(String server) throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/shared");
        try (AutoCloseable remote = "nginx".equals(server) ? Nginx.start(tmp.resolve("nginx"), Optional.empty())
                : LarderServe.start(tmp.resolve("served"))) {
            String url = remote instanceof Nginx n ? n.url() : ((LarderServe) remote).url();
            GoRun.Result a = buildHello(machine("a", Map.of(), "--store", url), mod, "a");
            assertTrue(COMPILE_STEP.matcher(a.output()).find(), "machine A compiled nothing:\n" + a.output());
            HelperStats sa = stats("a");
            assertEquals(0, sa.errors(), "machine A: " + sa);
            assertEquals(sa.puts(), sa.store().uploads(), "machine A uploads, want one per put: " + sa);
            assertEquals(0, sa.store().uploadErrors(), "machine A: " + sa);

            GoRun.Result b = buildHello(machine("b", Map.of(), "--store", url), mod, "b");
            assertFalse(COMPILE_STEP.matcher(b.output()).find(), "machine B: got a compile step, want none:\n" + b.output());
            HelperStats sb = stats("b");
            assertEquals(0, sb.errors(), "machine B: " + sb);
            assertTrue(sb.store().remoteHits() > 0, "machine B: no remote hits: " + sb);
            assertEquals(sb.hits(), sb.store().remoteHits(), "machine B's hits all came from the remote: " + sb);
            assertEquals(0, warnings(b.output()), b.output());
            assertLocalVerifiesClean("b");
        }
    }

    @Test
    void remoteKilledMidBuild_buildSucceeds() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/killed");
        LarderServe serve = LarderServe.start(tmp.resolve("served"));
        Thread killer = new Thread(() -> {
            try {
                serve.awaitLine(l -> l.contains(" PUT /cas/"));
                serve.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        killer.start();
        try {
            GoRun.Result a = buildHello(machine("a", Map.of(), "--store", serve.url()), mod, "a");
            killer.join(TimeUnit.MINUTES.toMillis(5));
            HelperStats s = stats("a");
            assertEquals(0, s.errors(), "stats " + s);
            assertTrue(s.store().uploadErrors() + s.store().uploadsDropped() + s.store().remoteErrors() > 0,
                    "the remote died mid-build, yet nothing failed: " + s);
            assertTrue(warnings(a.output()) <= 2, "want at most one warning per direction:\n" + a.output());
            assertLocalVerifiesClean("a");
        } finally {
            serve.close();
        }
    }

    @Test
    void tamperedCasBody_isNeverServed() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/tampered");
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.empty())) {
            buildHello(machine("a", Map.of(), "--store", nginx.url()), mod, "a");
            // The largest body on the remote (a compiled package or the binary) gets one flipped byte.
            Path largest;
            try (Stream<Path> s = Files.walk(nginx.root().resolve("cas"))) {
                largest = s.filter(Files::isRegularFile).max((x, y) -> Long.compare(x.toFile().length(),
                        y.toFile().length())).orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(largest);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(largest, bytes);

            GoRun.Result b = buildHello(machine("b", Map.of(), "--store", nginx.url()), mod, "b");
            HelperStats s = stats("b");
            assertEquals(0, s.errors(), "stats " + s);
            assertEquals(1, s.store().remoteRefused(), "the tampered body, refused once: " + s);
            assertTrue(s.store().remoteHits() > 0, "the other bodies were served: " + s);
            assertTrue(b.output().contains("does not match its id, not served"), b.output());
            assertLocalVerifiesClean("b");
        }
    }

    @Test
    void slowRemote_costsAFewTimeoutsAndTheBuildSucceeds() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/slow");
        CountDownLatch release = new CountDownLatch(1);
        HttpServer slow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        slow.createContext("/", x -> {
            try (x) {
                release.await(5, TimeUnit.MINUTES);
                x.sendResponseHeaders(404, -1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        slow.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        slow.start();
        try {
            String url = "http://127.0.0.1:" + slow.getAddress().getPort() + "/";
            GoRun.Result a = buildHello(machine("a", Map.of(), "--store", url, "--remote-timeout", "300ms",
                    "--workers", "4"), mod, "a");
            HelperStats s = stats("a");
            assertEquals(0, s.errors(), "stats " + s);
            long failed = s.store().remoteErrors();
            // Three failures in a row turn the tier off; requests already waiting then (at most the
            // four workers) still time out.
            assertTrue(failed >= 1 && failed <= 3 + 4, "got " + failed + " remote timeouts, want 1 to 7: " + s);
            assertTrue(s.gets() > failed, "stats " + s);
            assertTrue(warnings(a.output()) <= 2, a.output());
        } finally {
            release.countDown();
            slow.stop(0);
        }
    }

    @Test
    void wrongToken_uploadsRefused_rightTokenFileShares() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/token");
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.of("s3cret"))) {
            GoRun.Result wrong = buildHello(machine("wrong", Map.of("LARDER_REMOTE_TOKEN", "guess"), "--store",
                    nginx.url()), mod, "wrong");
            HelperStats sw = stats("wrong");
            assertEquals(0, sw.errors(), "stats " + sw);
            assertTrue(sw.store().uploadErrors() >= 1, "stats " + sw);
            assertEquals(0, sw.store().uploads(), "stats " + sw);
            assertEquals(0, countFiles(nginx.root()), "nginx stored an upload without the token");
            assertEquals(1, warnings(wrong.output()), "want one warning:\n" + wrong.output());
            assertTrue(wrong.output().contains("401"), wrong.output());

            Path tokenFile = Files.writeString(tmp.resolve("token"), "s3cret\n");
            buildHello(machine("a", Map.of(), "--store", nginx.url(), "--remote-token-file", tokenFile.toString()),
                    mod, "a");
            assertTrue(stats("a").store().uploads() > 0, "stats " + stats("a"));
            GoRun.Result b = buildHello(machine("b", Map.of(), "--store", nginx.url()), mod, "b");
            assertFalse(COMPILE_STEP.matcher(b.output()).find(), "reading needs no token:\n" + b.output());
        }
    }

    @Test
    void readOnlyRemote_servesHitsAndIsNeverWritten() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/readonly");
        Path other = GoModule.write(tmp.resolve("other"), "example.com/other");
        try (Nginx nginx = Nginx.start(tmp.resolve("nginx"), Optional.empty())) {
            buildHello(machine("a", Map.of(), "--store", nginx.url()), mod, "a");
            long before = countFiles(nginx.root());
            assertTrue(before > 0);

            GoRun ro = machine("ro", Map.of(), "--store", "readonly:" + nginx.url());
            GoRun.Result hit = buildHello(ro, mod, "ro");
            assertFalse(COMPILE_STEP.matcher(hit.output()).find(), "want every step from the remote:\n" + hit.output());
            buildHello(ro, other, "ro");
            HelperStats s = stats("ro");
            assertTrue(s.puts() > 0, "the local store still takes puts: " + s);
            assertEquals(0, s.store().uploads() + s.store().uploadErrors(), "stats " + s);
            assertEquals(before, countFiles(nginx.root()), "a read-only remote was written to");
        }
    }

    @Test
    void everyTierReadOnly_putLeavesKnownCommands_buildSucceeds() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/allreadonly");
        Path shared = tmp.resolve("shared");
        buildHello(machine("a", Map.of(), "--store", "h2:" + shared), mod, "a");
        List<String> args = new ArrayList<>(List.of("--store", "readonly:h2:" + shared));
        GoRun.Result r = buildHello(machine("ro", Map.of(), args.toArray(String[]::new)), mod, "ro");
        assertFalse(COMPILE_STEP.matcher(r.output()).find(), r.output());
        HelperStats s = stats("ro");
        assertTrue(s.readOnly(), "stats " + s);
        assertEquals(0, s.errors(), "stats " + s);
    }

    @Test
    void prefetch_nextSessionInTheSameDirectory_fetchesWhatTheLastOneAskedFor() throws Exception {
        Path mod = GoModule.write(tmp.resolve("mod"), "example.com/prefetch");
        try (LarderServe serve = LarderServe.start(tmp.resolve("served"))) {
            buildHello(machine("a", Map.of(), "--store", serve.url()), mod, "a");
            GoRun b = machine("b", Map.of(), "--store", serve.url());
            buildHello(b, mod, "b");
            Path local = tmp.resolve("machine-b").resolve("local");
            List<Path> records;
            try (Stream<Path> s = Files.list(local.resolve("prefetch"))) {
                records = s.toList();
            }
            assertEquals(1, records.size(), "one record for one working directory: " + records);
            long asked = Files.size(records.get(0)) / 32;
            assertEquals(stats("b").gets(), asked, "the record holds every action asked for");

            // Two hours on, every entry of B's local store may go; its prefetch record stays.
            LarderRun trim = LarderRun.of(tmp, Map.of("LARDER_TEST_CLOCK_OFFSET", "7200"), "trim", "--dir",
                    local.toString(), "--max-size", "0");
            assertEquals(0, trim.exit(), trim.stderr());
            wipe(tmp.resolve("machine-b").resolve("gocache"));
            GoRun.Result again = buildHello(b, mod, "b");
            assertFalse(COMPILE_STEP.matcher(again.output()).find(), again.output());
            HelperStats s = stats("b");
            assertTrue(s.store().prefetched() > 0, "nothing was prefetched: " + s);
            assertEquals(0, s.errors(), "stats " + s);
            assertLocalVerifiesClean("b");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "serve"})
    void larderRun_machineB_replaysWhatMachineARecorded(String server) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(work.resolve("in.c"), "int triple(int x) { return 3 * x; }\n");
        String script = "cd '" + work + "' && cc -O2 -c in.c -o in.o && echo compiled";
        try (AutoCloseable remote = server.equals("nginx") ? Nginx.start(tmp.resolve("nginx"), Optional.empty())
                : LarderServe.start(tmp.resolve("served"))) {
            String url = remote instanceof Nginx n ? n.url() : ((LarderServe) remote).url();
            LarderRun a = runOn("a", url, script);
            assertEquals(0, a.exit(), a.stderr());
            assertEquals("miss", runStats("a").result(), "machine a: " + runStats("a"));
            assertTrue(runStats("a").stored(), "machine a: " + runStats("a"));
            byte[] compiled = Files.readAllBytes(work.resolve("in.o"));
            Files.delete(work.resolve("in.o"));

            LarderRun b = runOn("b", url, script);
            assertEquals(0, b.exit(), b.stderr());
            RunStats s = runStats("b");
            assertEquals("hit", s.result(), "machine b (fresh local store): " + s + "\n" + b.stderr());
            assertEquals(0, s.executions(), "machine b ran programs: " + s);
            assertEquals("compiled\n", b.stdout(), "machine b: replayed stdout");
            assertTrue(java.util.Arrays.equals(compiled, Files.readAllBytes(work.resolve("in.o"))),
                    "machine b: the replayed in.o differs from the one machine a compiled");
        }
    }

    /**
     * {@code larder run} on machine {@code name}: its own local store, sharing the remote. The
     * script cds to tmp/work, outside larder's working directory: a replay may write there only
     * because it is allowed.
     */
    private LarderRun runOn(String name, String url, String script) throws Exception {
        Path m = Files.createDirectories(tmp.resolve("machine-" + name));
        return LarderRun.of(tmp, Map.of(), "run", "--dir", m.resolve("local").toString(), "--store", url,
                "--stats-json", m.resolve("run.json").toString(), "--explain",
                "--allow-write", tmp.resolve("work").toString(), "--", "sh", "-c", script);
    }

    private RunStats runStats(String name) throws IOException {
        return StatsJson.run(tmp.resolve("machine-" + name).resolve("run.json"));
    }

    private static void wipe(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((x, y) -> y.compareTo(x)).toList()) {
                if (!p.equals(dir)) {
                    Files.delete(p);
                }
            }
        }
    }
}
