package dev.larder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.Response;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One store under stress: killed puts, a full disk, many helper processes at once. */
class StoreResilienceIT {
    private static final Duration HANDSHAKE = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Path store() {
        return tmp.resolve("store");
    }

    private ProtocolClient helper(Path store) throws IOException {
        return helper(store, Map.of());
    }

    private ProtocolClient helper(Path store, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(GoCacheProgIT.larder().toString(), "helper", "--dir",
                store.toString()).redirectError(tmp.resolve("helper-" + System.nanoTime() + ".err").toFile());
        pb.environment().putAll(env);
        return ProtocolClient.start(pb, HANDSHAKE);
    }

    /** Whether helpers here are served by the daemon (else each runs in its own JVM). */
    private static boolean viaDaemon() {
        return !"0".equals(System.getenv("LARDER_BRIDGE"));
    }

    /** The process that owns the store's index (its server, or the daemon), as server.properties names it. */
    private ProcessHandle owner() throws IOException {
        java.util.Properties address = new java.util.Properties();
        try (var r = Files.newBufferedReader(store().resolve("server.properties"))) {
            address.load(r);
        }
        long pid = Long.parseLong(address.getProperty("pid"));
        return ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no owner " + pid));
    }

    private LarderRun larder(String... args) throws Exception {
        return LarderRun.of(tmp, Map.of(), args);
    }

    private static ActionId action(String name) throws Exception {
        return new ActionId(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void put_killedMidway_restartLeavesNoTraceAndVerifyIsClean() throws Exception {
        long size = 256L << 20;
        OutputId out;
        try (PatternStream s = new PatternStream(7, size)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = s.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            out = new OutputId(md.digest());
        }
        ProtocolClient c = helper(store());
        assertEquals(Response.class, c.put(action("warm-up"), "x".getBytes(StandardCharsets.UTF_8)).get().getClass());
        // The body is fed from another thread and stops after 64 MiB: by then the helper has read
        // (through a 64 KiB pipe) and written most of them to its temp file, and waits for more.
        CountDownLatch fed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        InputStream gated = new FilterInputStream(new PatternStream(7, size)) {
            private long sent;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= 64L << 20) {
                    fed.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = super.read(b, off, (int) Math.min(len, (64L << 20) + 1 - Math.min(sent, 64L << 20)));
                sent += Math.max(n, 0);
                return n;
            }
        };
        ActionId big = action("big");
        CompletableFuture<Response> put = CompletableFuture.supplyAsync(() -> c.put(big, out, size, gated))
                .thenCompose(f -> f);
        assertTrue(fed.await(2, TimeUnit.MINUTES), "the helper did not take 64 MiB of the body");
        Path temps = store().resolve("tmp");
        Process p = c.process().orElseThrow();
        // SIGKILL, in the middle of the body, to the process writing it: the helper's JVM, or the
        // daemon serving the helper (a killed bridge is a client gone: the daemon cleans at once).
        ProcessHandle writer = viaDaemon() ? owner() : p.toHandle();
        writer.destroyForcibly();
        writer.onExit().get(30, TimeUnit.SECONDS);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        release.countDown(); // the rest of the body now meets a closed pipe
        assertTrue(put.handle((r, e) -> e != null).get(30, TimeUnit.SECONDS), "the killed put got a reply");
        assertFalse(files(temps).isEmpty(), "the killed put left no temp file to clean (the test proves nothing)");

        try (ProtocolClient again = helper(store())) {
            assertTrue(again.get(action("big")).get().miss(), "the killed put's action: got a hit, want a miss");
            assertFalse(again.get(action("warm-up")).get().miss(), "an earlier put: got a miss, want a hit");
        }
        assertEquals(List.of(), files(temps), "temp files after a restart");
        LarderRun v = larder("verify", "--dir", store().toString());
        assertEquals(0, v.exit(), v.stdout() + v.stderr());
        assertTrue(v.stdout().contains("clean"), v.stdout());
    }

    @Test
    void put_diskFull_getsErrLeavesNothingAndGetsStillWork() throws Exception {
        Path mount = Files.createDirectories(tmp.resolve("small-fs"));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        String why = new String(m.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        boolean mounted = m.waitFor() == 0;
        if (!mounted && "1".equals(System.getenv("LARDER_REQUIRE_MOUNT"))) {
            throw new AssertionError("cannot mount a small tmpfs, and LARDER_REQUIRE_MOUNT=1: " + why);
        }
        assumeTrue(mounted, "cannot mount a small tmpfs to fill (needs root): " + why);
        try {
            Path store = mount.resolve("store");
            try (ProtocolClient c = helper(store)) {
                byte[] small = "fits".getBytes(StandardCharsets.UTF_8);
                assertFalse(c.put(action("small"), small).get().isError());
                Response full = c.put(action("big"), new OutputId(new byte[32]), 16L << 20,
                        new PatternStream(3, 16L << 20)).get();
                assertTrue(full.isError(), "a put larger than the disk: got " + full + ", want Err");
                assertTrue(full.err().contains("No space left on device"), full.err());
                assertEquals(List.of(), files(store.resolve("tmp")), "temp files after the failed put");
                Response hit = c.get(action("small")).get();
                assertFalse(hit.miss() || hit.isError(), "get after the disk filled: got " + hit);
                assertFalse(c.put(action("small-2"), "still fits".getBytes(StandardCharsets.UTF_8)).get().isError(),
                        "a small put after the failed one");
            }
            LarderRun v = larder("verify", "--dir", store.toString());
            assertEquals(0, v.exit(), v.stdout() + v.stderr());
        } finally {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
        }
    }

    /**
     * Six workers, each starting helper after helper on one store, doing random gets and puts for
     * 20 s while a seventh trims the store to nothing again and again (its clock two hours ahead,
     * so that nothing is protected): every request must succeed, every hit whose file is still
     * there must hold bytes that hash to its OutputID, and the store must verify clean.
     */
    @Test
    void manyHelpers_randomGetsAndPuts_allSucceedAndStoreVerifiesClean() throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        long[] requests = new long[6];
        java.util.concurrent.atomic.AtomicLong slowest = new java.util.concurrent.atomic.AtomicLong();
        for (int w = 0; w < 6; w++) {
            int id = w;
            Thread t = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (System.nanoTime() < end && failures.isEmpty()) {
                    try (ProtocolClient c = helper(store())) {
                        int ops = 20 + rnd.nextInt(80);
                        for (int i = 0; i < ops; i++) {
                            ActionId a = action("key-" + rnd.nextInt(64));
                            Response r;
                            long t0 = System.nanoTime();
                            if (rnd.nextBoolean()) {
                                byte[] body = new byte[rnd.nextInt(64 << 10)];
                                rnd.nextBytes(body);
                                r = c.put(a, body).get(60, TimeUnit.SECONDS);
                            } else {
                                r = c.get(a).get(60, TimeUnit.SECONDS);
                                if (!r.miss() && !r.isError() && Files.exists(Path.of(r.diskPath()))) {
                                    byte[] held;
                                    try {
                                        held = Files.readAllBytes(Path.of(r.diskPath()));
                                    } catch (java.nio.file.NoSuchFileException trimmed) {
                                        continue; // the trimmer's clock protects nothing
                                    }
                                    byte[] sha = MessageDigest.getInstance("SHA-256").digest(held);
                                    if (!java.util.Arrays.equals(sha, r.rawOutputId())) {
                                        failures.add("worker " + id + ": hit " + r + " holds other bytes");
                                    }
                                }
                            }
                            requests[id]++;
                            slowest.accumulateAndGet(System.nanoTime() - t0, Math::max);
                            if (r.isError()) {
                                failures.add("worker " + id + ": " + r);
                            }
                        }
                    } catch (Exception e) {
                        failures.add("worker " + id + ": " + e);
                    }
                }
            });
            t.start();
            workers.add(t);
        }
        Thread trimmer = new Thread(() -> {
            while (System.nanoTime() < end && failures.isEmpty()) {
                try {
                    LarderRun r = LarderRun.of(tmp, Map.of("LARDER_TEST_CLOCK_OFFSET", "7200"), "trim", "--max-size", "0",
                            "--dir", store().toString());
                    if (r.exit() != 0 && !r.stderr().contains("no store at")) {
                        failures.add("trim: " + r.stderr());
                    }
                } catch (Exception e) {
                    failures.add("trim: " + e);
                }
            }
        });
        trimmer.start();
        workers.add(trimmer);
        for (Thread t : workers) {
            t.join(TimeUnit.MINUTES.toMillis(3));
        }
        System.out.printf("%d requests, slowest %d ms%n", java.util.Arrays.stream(requests).sum(),
                slowest.get() / 1_000_000);
        assertEquals(List.of(), List.copyOf(failures), "failures among " + java.util.Arrays.stream(requests).sum()
                + " requests; helper stderr in " + tmp);
        LarderRun v = larder("verify", "--dir", store().toString());
        assertEquals(0, v.exit(), v.stdout() + v.stderr());
        assertTrue(v.stdout().contains(": clean"), v.stdout());
    }

    @Test
    void indexServer_killed_isReplacedAndNoRequestFails() throws Exception {
        if (viaDaemon()) {
            // The daemon serves helpers from an index it holds itself; it reaches another owner's
            // server only while a JVM-only helper's index server owns the store. Make it so.
            try (ProtocolClient jvm = helper(store(), Map.of("LARDER_BRIDGE", "0"))) {
                assertFalse(jvm.put(action("jvm"), "from a JVM helper".getBytes(StandardCharsets.UTF_8)).get().isError());
            }
        }
        try (ProtocolClient c = helper(store())) {
            assertFalse(c.put(action("before"), "stored before".getBytes(StandardCharsets.UTF_8)).get().isError());
            java.util.Properties address = new java.util.Properties();
            try (var r = Files.newBufferedReader(store().resolve("server.properties"))) {
                address.load(r);
            }
            long pid = Long.parseLong(address.getProperty("pid"));
            ProcessHandle server = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no server " + pid));
            server.destroyForcibly();
            server.onExit().get(30, TimeUnit.SECONDS);

            Response hit = c.get(action("before")).get(60, TimeUnit.SECONDS);
            assertFalse(hit.miss() || hit.isError(), "get after the index server was killed: got " + hit);
            assertFalse(c.put(action("after"), "stored after".getBytes(StandardCharsets.UTF_8)).get().isError());
            java.util.Properties now = new java.util.Properties();
            try (var r = Files.newBufferedReader(store().resolve("server.properties"))) {
                now.load(r);
            }
            assertTrue(!now.getProperty("pid").equals(address.getProperty("pid")), "the killed server is still named");
            if (viaDaemon()) {
                assertFalse(c.get(action("jvm")).get(60, TimeUnit.SECONDS).miss(), "the JVM helper's put, after the hand-over");
            }
        }
    }

    @Test
    void secretLost_storeStartsOverWithoutHanging() throws Exception {
        try (ProtocolClient c = helper(store())) {
            assertFalse(c.put(action("kept?"), "before the secret was lost".getBytes(StandardCharsets.UTF_8))
                    .get().isError());
        }
        java.util.Properties address = new java.util.Properties();
        try (var r = Files.newBufferedReader(store().resolve("server.properties"))) {
            address.load(r);
        }
        ProcessHandle server = ProcessHandle.of(Long.parseLong(address.getProperty("pid"))).orElseThrow();
        server.destroyForcibly();
        server.onExit().get(30, TimeUnit.SECONDS);
        Files.delete(store().resolve("server.secret"));

        try (ProtocolClient c = helper(store())) {
            Response r = c.get(action("kept?")).get(60, TimeUnit.SECONDS);
            assertTrue(r.miss(), "get after the index was moved aside: got " + r + ", want a miss");
            assertFalse(c.put(action("after"), "after".getBytes(StandardCharsets.UTF_8)).get().isError());
            assertFalse(c.get(action("after")).get().miss());
        }
        try (Stream<Path> s = Files.list(store())) {
            assertTrue(s.anyMatch(p -> p.getFileName().toString().startsWith("index.mv.db.lost-")),
                    "the unreadable index was not kept aside");
        }
    }
}
