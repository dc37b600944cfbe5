package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.BackendContext;
import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.LocalStoreFiles;
import dev.larder.storage.Storage;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.TestClock;
import dev.larder.storage.TierCounters;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.storage.h2.LocalStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tiers over real stores: near local stores in temporary directories, and as far tiers larder's
 * cache server on loopback or fakes that misbehave on purpose. Two near directories sharing one
 * far tier play two machines sharing a remote cache.
 */
class TieredStorageTest {
    @TempDir
    Path tmp;

    @TempDir
    static Path farRoot;

    @RegisterExtension
    static final FarCaches farCaches = new FarCaches();

    private final TestClock clock = new TestClock(Instant.parse("2031-02-03T04:05:06Z"));
    /** Lets go of every answer a fake holds back; counted down after each test, before anything is closed. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** How long one remote request may take; tests of slow tiers shorten it. */
    private Duration timeout = Duration.ofSeconds(30);
    private Optional<String> token = Optional.empty();
    private TierSettings options = TierSettings.defaults();

    @AfterEach
    void closeAll() throws Exception {
        release.countDown();
        List<AutoCloseable> newestFirst = new ArrayList<>(opened);
        Collections.reverse(newestFirst);
        for (AutoCloseable c : newestFirst) {
            c.close();
        }
    }

    // ---- fixtures ----

    /** Opens the tiers {@code specs} name, with {@code near} as the default local store. */
    private Storage tiers(Path near, String... specs) throws IOException {
        List<StoreSpec> parsed = Arrays.stream(specs).map(StoreSpec::parse).toList();
        Storage s = Stores.open(parsed, near, Stores.providers(getClass().getClassLoader()),
                new BackendContext(token, timeout, clock, Map.of()), options);
        opened.add(s);
        return s;
    }

    private FarCache far() throws IOException {
        return farCaches.start(farRoot, Optional.empty(), clock);
    }

    private FakeRemote fake(FakeRemote.Handler handler) throws IOException {
        FakeRemote f = FakeRemote.start(handler);
        opened.add(f);
        return f;
    }

    /** A fake that answers every request with {@code status}. */
    private FakeRemote failing(int status) throws IOException {
        return fake(x -> FakeRemote.reply(x, status, "the fake answers " + status));
    }

    /** A fake whose /ac/ names {@code body}'s id and size, and whose /cas/ then sends {@code sent} instead. */
    private FakeRemote serving(byte[] body, byte[] sent) throws IOException {
        byte[] record = ActionResultCodec.encode(new StoredOutput(Digest.sha256(body), body.length, Instant.EPOCH));
        return fake(x -> FakeRemote.reply(x, 200, x.getRequestURI().getPath().startsWith("/ac/") ? record : sent));
    }

    /** The default options, but a far tier is left alone after {@code n} failures in a row. */
    private static TierSettings failuresToStop(int n) {
        TierSettings d = TierSettings.defaults();
        return new TierSettings(d.uploadWait(), d.queueCapacity(), d.uploaders(), n, d.prefetchKey(), d.signer(), d.trust());
    }

    /** An http:// URL on which nothing listens. */
    private static String closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    private static byte[] text(String s) {
        return s.getBytes(UTF_8);
    }

    private static Entry put(Storage s, Digest action, byte[] body) throws IOException {
        return s.put(action, Digest.sha256(body), body.length, new ByteArrayInputStream(body));
    }

    private static Entry hit(Storage s, Digest action) throws IOException {
        return s.get(action).orElseThrow(() -> new AssertionError("get " + action + ": got empty, want a hit"));
    }

    private static void assertMiss(Storage s, Digest action) throws IOException {
        Optional<Entry> e = s.get(action);
        assertTrue(e.isEmpty(), "get " + action + ": got " + e + ", want empty");
    }

    private static void assertHolds(Entry e, byte[] body) throws IOException {
        assertEquals(Digest.sha256(body), e.output(), "entry output: got " + e.output() + ", want " + Digest.sha256(body));
        assertEquals(body.length, e.size(), "entry size: got " + e.size() + ", want " + body.length);
        byte[] got = Files.readAllBytes(e.path());
        assertArrayEquals(body, got, "content of " + e.path() + ": got \"" + new String(got, UTF_8) + "\", want \""
                + new String(body, UTF_8) + "\"");
    }

    private static void assertCounter(Storage s, ToLongFunction<TierCounters> counter, long want) {
        TierCounters all = s.counters();
        long got = counter.applyAsLong(all);
        assertEquals(want, got, "counter: got " + got + ", want " + want + "; all counters: " + all);
    }

    private static void assertNoNearFiles(Path near) throws IOException {
        Set<Path> files = LocalStoreFiles.of(near);
        assertTrue(files.isEmpty(), "body files in " + near + ": got " + files + ", want none");
    }

    // ---- far hits ----

    @Test
    void get_farHitFromAnotherMachine_isCopiedIntoTheNearStore() throws IOException {
        FarCache far = far();
        Path nearA = tmp.resolve("a");
        Path nearB = tmp.resolve("b");
        byte[] body = text("built on machine A");
        Storage a = tiers(nearA, far.url());
        put(a, action("x"), body);
        a.flush();

        Storage b = tiers(nearB, far.url());
        Entry got = hit(b, action("x"));
        assertHolds(got, body);
        assertTrue(got.path().startsWith(nearB), "entry path: got " + got.path() + ", want it inside " + nearB);
        assertCounter(b, TierCounters::remoteHits, 1);
        assertCounter(b, TierCounters::remoteHitBytes, body.length);
        assertCounter(b, TierCounters::remoteMisses, 0);
        assertCounter(b, TierCounters::remoteErrors, 0);

        Entry again = hit(b, action("x"));
        assertHolds(again, body);
        assertEquals(got.path(), again.path(), "path of the second get: got " + again.path() + ", want " + got.path());
        assertCounter(b, TierCounters::remoteHits, 1);
    }

    @Test
    void get_farHit_isInTheNearStoreForLaterSessions() throws IOException {
        FarCache far = far();
        byte[] body = text("fetched once");
        put(far.store(), action("x"), body);
        Path near = tmp.resolve("near");
        hit(tiers(near, far.url()), action("x"));
        try (LocalStore alone = LocalStore.open(near, clock)) {
            assertHolds(hit(alone, action("x")), body);
        }
    }

    @Test
    void get_unknownEverywhere_isMissCounted() throws IOException {
        Storage s = tiers(tmp.resolve("near"), far().url());
        assertMiss(s, action("never put"));
        assertCounter(s, TierCounters::remoteMisses, 1);
        assertCounter(s, TierCounters::remoteHits, 0);
        assertCounter(s, TierCounters::remoteErrors, 0);
    }

    @Test
    void get_twoFarTiersHaveIt_theNearerServesAndTheOtherIsNotAsked() throws IOException {
        FarCache nearer = far();
        byte[] body = text("from the nearer far tier");
        put(nearer.store(), action("x"), body);
        FakeRemote farther = failing(500);
        Storage s = tiers(tmp.resolve("near"), nearer.url(), farther.url());
        assertHolds(hit(s, action("x")), body);
        assertEquals(List.of(), farther.requests(), "requests to the farther tier: got " + farther.requests() + ", want none");
    }

    @Test
    void get_missInFirstFarTier_asksTheNext() throws IOException {
        FarCache first = far();
        FarCache second = far();
        byte[] body = text("only in the second far tier");
        put(second.store(), action("x"), body);
        Storage s = tiers(tmp.resolve("near"), first.url(), second.url());
        assertHolds(hit(s, action("x")), body);
        assertCounter(s, TierCounters::remoteMisses, 1);
        assertCounter(s, TierCounters::remoteHits, 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"what was stored, but oTher bytes", "what was stored", "what was stored, and then more bytes"})
    void get_farBodyNotMatchingItsId_isRefusedAndNothingStoredNear(String sent) throws IOException {
        byte[] body = text("what was stored, but other bytes");
        FakeRemote tampered = serving(body, text(sent));
        Path near = tmp.resolve("near");
        Storage s = tiers(near, tampered.url());
        assertMiss(s, action("x"));
        assertCounter(s, TierCounters::remoteRefused, 1);
        assertCounter(s, TierCounters::remoteHits, 0);
        assertNoNearFiles(near);
    }

    @Test
    void get_tamperedTierThenGoodTier_isServedByTheGoodOne() throws IOException {
        byte[] body = text("the real output");
        FakeRemote tampered = serving(body, text("the fake output"));
        FarCache good = far();
        put(good.store(), action("x"), body);
        Path near = tmp.resolve("near");
        Storage s = tiers(near, tampered.url(), good.url());
        Entry e = hit(s, action("x"));
        assertHolds(e, body);
        assertTrue(e.path().startsWith(near), "entry path: got " + e.path() + ", want it inside " + near);
        assertCounter(s, TierCounters::remoteRefused, 1);
        assertCounter(s, TierCounters::remoteHits, 1);
    }

    @Test
    void get_actionWhoseBodyIsGone_isMissNotError() throws IOException {
        byte[] body = text("trimmed apart");
        byte[] record = ActionResultCodec.encode(new StoredOutput(Digest.sha256(body), body.length, Instant.EPOCH));
        FakeRemote fake = fake(x -> {
            if (x.getRequestURI().getPath().startsWith("/ac/")) {
                FakeRemote.reply(x, 200, record);
            } else {
                FakeRemote.reply(x, 404, "");
            }
        });
        Storage s = tiers(tmp.resolve("near"), fake.url());
        assertMiss(s, action("x"));
        assertCounter(s, TierCounters::remoteMisses, 1);
        assertCounter(s, TierCounters::remoteErrors, 0);
    }

    // ---- failing far tiers ----

    @Test
    void get_farTierDown_isMissCountedAsError() throws IOException {
        Storage s = tiers(tmp.resolve("near"), closedPort());
        assertMiss(s, action("x"));
        assertCounter(s, TierCounters::remoteErrors, 1);
        assertCounter(s, TierCounters::remoteMisses, 0);
    }

    @Test
    void putAndFlush_farTierDown_storeNearAndCountUploadError() throws IOException {
        Storage s = tiers(tmp.resolve("near"), closedPort());
        byte[] body = text("kept locally");
        put(s, action("x"), body);
        s.flush();
        assertHolds(hit(s, action("x")), body);
        assertCounter(s, TierCounters::uploadErrors, 1);
        assertCounter(s, TierCounters::uploads, 0);
    }

    @Test
    void get_farTierFailingEveryTime_isNotAskedAfterFailuresToStop() throws IOException {
        options = failuresToStop(2);
        FakeRemote fake = failing(500);
        Storage s = tiers(tmp.resolve("near"), fake.url());
        for (int i = 0; i < 5; i++) {
            assertMiss(s, action("x" + i));
        }
        assertEquals(2, fake.requests().size(), "requests to the failing tier: got " + fake.requests() + ", want 2");
        assertCounter(s, TierCounters::remoteErrors, 2);
    }

    @Test
    void get_failuresNotInARow_keepTheTierOn() throws IOException {
        // 500, 500, 404, then 500s: with failuresToStop 3 the miss in the middle restarts the count.
        options = failuresToStop(3);
        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>(List.of(500, 500, 404));
        FakeRemote fake = fake(x -> {
            Integer s = statuses.poll();
            FakeRemote.reply(x, s == null ? 500 : s, "");
        });
        Storage s = tiers(tmp.resolve("near"), fake.url());
        for (int i = 0; i < 8; i++) {
            assertMiss(s, action("x" + i));
        }
        assertEquals(6, fake.requests().size(), "requests: got " + fake.requests() + ", want 6 (2 failures, a miss, 3 failures)");
        assertCounter(s, TierCounters::remoteErrors, 5);
        assertCounter(s, TierCounters::remoteMisses, 1);
    }

    @Test
    void put_farTierRefusingUploads_isNotUploadedToAfterFailuresToStopButStillRead() throws IOException {
        options = failuresToStop(3);
        FakeRemote fake = failing(500);
        Storage s = tiers(tmp.resolve("near"), fake.url());
        for (int i = 0; i < 5; i++) {
            put(s, action("x" + i), text("output " + i));
            s.flush();
        }
        assertEquals(3, fake.count("PUT"), "PUTs to the failing tier: got " + fake.requests() + ", want 3");
        assertCounter(s, TierCounters::uploadErrors, 3);
        // Reads are judged apart from writes: the tier is still asked.
        assertMiss(s, action("never put"));
        assertEquals(1, fake.count("GET"), "GETs after uploads stopped: got " + fake.requests() + ", want 1");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard: the fake answers only when the test ends
    void get_farTierSlowerThanTheTimeout_isMissCountedAsError() throws IOException {
        timeout = Duration.ofMillis(300);
        FakeRemote slow = fake(x -> {
            release.await();
            FakeRemote.reply(x, 404, "");
        });
        Storage s = tiers(tmp.resolve("near"), slow.url());
        assertMiss(s, action("x"));
        assertCounter(s, TierCounters::remoteErrors, 1);
    }

    @Test
    void get_farBodyStallsMidway_isMissCountedAsError() throws IOException {
        timeout = Duration.ofMillis(300);
        byte[] body = text("sent halfway, then nothing more");
        byte[] record = ActionResultCodec.encode(new StoredOutput(Digest.sha256(body), body.length, Instant.EPOCH));
        FakeRemote stalling = fake(x -> {
            if (x.getRequestURI().getPath().startsWith("/ac/")) {
                FakeRemote.reply(x, 200, record);
                return;
            }
            x.sendResponseHeaders(200, body.length);
            OutputStream out = x.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            release.await();
        });
        Storage s = tiers(tmp.resolve("near"), stalling.url());
        // A hang guard, not a speed check: the fake holds the rest of the body until the test ends.
        Optional<Entry> got = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> s.get(action("x")));
        assertTrue(got.isEmpty(), "get: got " + got + ", want empty");
        assertCounter(s, TierCounters::remoteErrors, 1);
    }

    @Test
    void get_garbageActionRecord_isMissCountedAsError() throws IOException {
        FakeRemote fake = fake(x -> FakeRemote.reply(x, 200, "<html>502 Bad Gateway</html>"));
        Storage s = tiers(tmp.resolve("near"), fake.url());
        assertMiss(s, action("x"));
        assertCounter(s, TierCounters::remoteErrors, 1);
        assertCounter(s, TierCounters::remoteRefused, 0);
    }

    // ---- uploads ----

    @Test
    void flush_afterPut_farTierHasTheBlobAndTheAction() throws IOException {
        FarCache far = far();
        Storage s = tiers(tmp.resolve("near"), far.url());
        byte[] body = text("shared after the build");
        put(s, action("x"), body);
        s.flush();
        Path blob = far.store().blob(Digest.sha256(body))
                .orElseThrow(() -> new AssertionError("far blob: got none, want the output"));
        assertArrayEquals(body, Files.readAllBytes(blob), "far blob content");
        assertHolds(hit(far.store(), action("x")), body);
        assertCounter(s, TierCounters::uploads, 1);
        assertCounter(s, TierCounters::uploadErrors, 0);
    }

    @Test
    void put_readOnlyFarTier_isNotUploadedButServesHits() throws IOException {
        FarCache far = far();
        byte[] seeded = text("seeded into the far tier");
        put(far.store(), action("seeded"), seeded);
        Storage s = tiers(tmp.resolve("near"), "readonly:" + far.url());
        byte[] body = text("stays local");
        put(s, action("x"), body);
        s.flush();
        Optional<Entry> there = far.store().get(action("x"));
        assertTrue(there.isEmpty(), "far tier after a put: got " + there + ", want nothing");
        assertTrue(far.store().blob(Digest.sha256(body)).isEmpty(), "far blob: got one, want none");
        assertCounter(s, TierCounters::uploads, 0);
        assertCounter(s, TierCounters::uploadErrors, 0);
        assertHolds(hit(s, action("seeded")), seeded);
    }

    @Test
    void put_farTierWantsTokenClientHasNone_storesNearAndCountsUploadError() throws IOException {
        FarCache far = farCaches.start(farRoot, Optional.of("secret"), clock);
        Storage s = tiers(tmp.resolve("near"), far.url());
        byte[] body = text("not allowed up");
        assertHolds(put(s, action("x"), body), body);
        s.flush();
        assertHolds(hit(s, action("x")), body);
        assertCounter(s, TierCounters::uploadErrors, 1);
        assertCounter(s, TierCounters::uploads, 0);
        assertTrue(far.store().get(action("x")).isEmpty(), "far tier: got the action, want nothing");
    }

    @Test
    void put_farTierWantsTokenClientHasIt_isUploaded() throws IOException {
        FarCache far = farCaches.start(farRoot, Optional.of("secret"), clock);
        token = Optional.of("secret");
        Storage s = tiers(tmp.resolve("near"), far.url());
        byte[] body = text("allowed up");
        put(s, action("x"), body);
        s.flush();
        assertCounter(s, TierCounters::uploads, 1);
        assertHolds(hit(far.store(), action("x")), body);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    void flush_uploadStuck_returnsAfterUploadWaitAndCountsItAbandoned() throws IOException {
        options = TierSettings.defaults().withUploadWait(Duration.ofMillis(200));
        timeout = Duration.ofMinutes(5);
        FakeRemote stuck = fake(x -> {
            if (x.getRequestMethod().equals("PUT")) {
                release.await();
                FakeRemote.reply(x, 201, "");
            } else {
                FakeRemote.reply(x, 404, "");
            }
        });
        Storage s = tiers(tmp.resolve("near"), stuck.url());
        byte[] body = text("waits for the remote");
        put(s, action("x"), body);
        s.flush();
        assertCounter(s, TierCounters::uploadsAbandoned, 1);
        assertCounter(s, TierCounters::uploads, 0);
        assertHolds(hit(s, action("x")), body);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    void put_uploadQueueFull_dropsTheUploadAndFlushAbandonsTheQueued() throws IOException {
        // One uploader stuck on the first upload, room for one more in the queue: the third is dropped.
        TierSettings d = TierSettings.defaults();
        options = new TierSettings(Duration.ofMillis(200), 1, 1, d.failuresToStop(), d.prefetchKey(), d.signer(), d.trust());
        timeout = Duration.ofMinutes(5);
        FakeRemote stuck = fake(x -> {
            if (x.getRequestMethod().equals("PUT")) {
                release.await();
                FakeRemote.reply(x, 201, "");
            } else {
                FakeRemote.reply(x, 404, "");
            }
        });
        Storage s = tiers(tmp.resolve("near"), stuck.url());
        for (int i = 0; i < 3; i++) {
            put(s, action("x" + i), text("output " + i));
        }
        assertCounter(s, TierCounters::uploadsDropped, 1);
        s.flush();
        assertCounter(s, TierCounters::uploadsAbandoned, 2);
    }

    // ---- read-only near store ----

    @Test
    void put_nearReadOnly_isSpooledUploadedAndRemovedAtClose() throws IOException {
        FarCache far = far();
        Path near = tmp.resolve("near");
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + near, far.url());
        byte[] body = text("goes up, not near");
        Entry e = put(s, action("x"), body);
        assertHolds(e, body);
        assertFalse(e.path().startsWith(near), "entry path: got " + e.path() + ", want it outside " + near);
        assertNoNearFiles(near);
        s.flush();
        assertHolds(hit(far.store(), action("x")), body);
        s.close();
        assertFalse(Files.exists(e.path()), "spool file after close: got " + e.path() + ", want it gone");
        assertFalse(Files.exists(e.path().getParent()), "spool directory after close: got "
                + e.path().getParent() + ", want it gone");
    }

    @Test
    void get_nearReadOnly_servesItsOwnEntries() throws IOException {
        Path near = tmp.resolve("near");
        byte[] body = text("seeded before");
        try (LocalStore seed = LocalStore.open(near, clock)) {
            put(seed, action("x"), body);
        }
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + near, far().url());
        Entry e = hit(s, action("x"));
        assertHolds(e, body);
        assertTrue(e.path().startsWith(near), "entry path: got " + e.path() + ", want it inside " + near);
        assertCounter(s, TierCounters::remoteHits, 0);
    }

    @Test
    void get_nearReadOnly_farHitIsSpooledNotStoredNear() throws IOException {
        FarCache far = far();
        byte[] body = text("fetched for a read-only machine");
        put(far.store(), action("x"), body);
        Path near = tmp.resolve("near");
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + near, far.url());
        Entry e = hit(s, action("x"));
        assertHolds(e, body);
        assertFalse(e.path().startsWith(near), "entry path: got " + e.path() + ", want it outside " + near);
        assertNoNearFiles(near);
        assertCounter(s, TierCounters::remoteHits, 1);
    }

    @Test
    void put_nearReadOnly_bodyNotMatchingItsId_throwsAndUploadsNothing() throws IOException {
        FarCache far = far();
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + tmp.resolve("near"), far.url());
        byte[] body = text("what arrives");
        Digest promised = Digest.sha256(text("what was promised"));
        assertThrows(BodyMismatchException.class,
                () -> s.put(action("x"), promised, body.length, new ByteArrayInputStream(body)));
        s.flush();
        assertCounter(s, TierCounters::uploads, 0);
        assertCounter(s, TierCounters::uploadErrors, 0);
        assertTrue(far.store().get(action("x")).isEmpty(), "far tier: got the action, want nothing");
    }

    @Test
    void put_everyTierReadOnly_throwsIOException() throws IOException {
        Path near = tmp.resolve("near");
        FarCache far = far();
        List<String> specs = List.of("readonly:h2:" + near, "readonly:" + far.url());
        assertFalse(Stores.writable(specs.stream().map(StoreSpec::parse).toList()), "writable: got true, want false");
        Storage s = tiers(tmp.resolve("default"), specs.toArray(String[]::new));
        IOException e = assertThrows(IOException.class, () -> put(s, action("x"), text("nowhere to go")));
        assertTrue(e.getMessage().contains("read-only"), "message: got " + e.getMessage() + ", want it to say read-only");
        assertNoNearFiles(near);
    }

    @Test
    void put_onlyTierIsReadOnlyNear_throwsIOException() throws IOException {
        Path near = tmp.resolve("near");
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + near);
        assertThrows(IOException.class, () -> put(s, action("x"), text("nowhere to go")));
        assertNoNearFiles(near);
    }

    // ---- prefetch ----

    /** A fake cache holding {@code outputs} by action; it counts down {@code bodiesAsked} as each body is asked for. */
    private FakeRemote holding(Map<Digest, byte[]> outputs, CountDownLatch bodiesAsked) throws IOException {
        return fake(x -> {
            String path = x.getRequestURI().getPath();
            String hex = path.substring(path.lastIndexOf('/') + 1);
            if (x.getRequestMethod().equals("GET") && path.startsWith("/ac/")) {
                byte[] body = outputs.get(Digest.fromHex(hex));
                if (body != null) {
                    FakeRemote.reply(x, 200, ActionResultCodec.encode(new StoredOutput(Digest.sha256(body), body.length, Instant.EPOCH)));
                    return;
                }
            } else if (x.getRequestMethod().equals("GET") && path.startsWith("/cas/")) {
                for (byte[] body : outputs.values()) {
                    if (Digest.sha256(body).toString().equals(hex)) {
                        bodiesAsked.countDown();
                        FakeRemote.reply(x, 200, body);
                        return;
                    }
                }
            }
            FakeRemote.reply(x, 404, "");
        });
    }

    private static Path prefetchRecord(Path near, String key) {
        return near.resolve("prefetch").resolve(Digest.sha256(key.getBytes(UTF_8)).toString());
    }

    @Test
    void flush_withPrefetchKey_recordsTheActionsAskedInOrder() throws IOException {
        options = TierSettings.defaults().withPrefetchKey(Optional.of("/work/project"));
        Path near = tmp.resolve("near");
        Storage s = tiers(near, holding(Map.of(), new CountDownLatch(0)).url());
        put(s, action("c"), text("built here"));
        assertMiss(s, action("b"));
        assertMiss(s, action("a"));
        hit(s, action("c"));
        s.flush();
        List<Digest> got = new Prefetch(prefetchRecord(near, "/work/project")).previous();
        List<Digest> want = List.of(action("b"), action("a"), action("c"));
        assertEquals(want, got, "recorded actions: got " + got + ", want " + want);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    void open_sameKeyAsLastSession_fetchesItsActionsBeforeTheyAreAsked() throws IOException, InterruptedException {
        options = TierSettings.defaults().withPrefetchKey(Optional.of("/work/project"));
        Path near = tmp.resolve("near");
        Map<Digest, byte[]> remote = new ConcurrentHashMap<>();
        CountDownLatch bodiesAsked = new CountDownLatch(2);
        FakeRemote fake = holding(remote, bodiesAsked);
        Storage first = tiers(near, fake.url());
        assertMiss(first, action("x"));
        assertMiss(first, action("y"));
        first.flush();
        first.close();

        // Another machine builds x and y meanwhile.
        byte[] x = text("output of x");
        byte[] y = text("output of y");
        remote.put(action("x"), x);
        remote.put(action("y"), y);
        Storage second = tiers(near, fake.url());
        bodiesAsked.await();
        assertHolds(hit(second, action("x")), x);
        assertHolds(hit(second, action("y")), y);
    }

    @Test
    void flush_noPrefetchKey_recordsNothing() throws IOException {
        Path near = tmp.resolve("near");
        Storage s = tiers(near, far().url());
        assertMiss(s, action("x"));
        s.flush();
        assertFalse(Files.exists(near.resolve("prefetch")), "prefetch records: got " + near.resolve("prefetch")
                + ", want none");
    }

    @Test
    void flush_nearReadOnly_recordsNothing() throws IOException {
        options = TierSettings.defaults().withPrefetchKey(Optional.of("/work/project"));
        Path near = tmp.resolve("near");
        LocalStore.open(near, clock).close();
        Storage s = tiers(tmp.resolve("default"), "readonly:h2:" + near, far().url());
        assertMiss(s, action("x"));
        s.flush();
        assertFalse(Files.exists(near.resolve("prefetch")), "prefetch records in a read-only store: got "
                + near.resolve("prefetch") + ", want none");
    }
}
