package dev.larder.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.commons.codec.digest.DigestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Storage} backend promises, checked against a real store of that backend.
 *
 * <p>A backend's test extends this class: {@link #open} opens its store taking times from
 * {@link #clock}, and {@link #bodyFiles} names the files in which it keeps output bytes, stored
 * or being received, so that "nothing is stored" can be checked on disk. Checks of a backend's
 * own layout belong in its subclass.
 */
public abstract class StorageContract {
    /** Where {@link #clock} starts: far from the real time, so a store that reads the system clock shows. */
    protected static final Instant START = Instant.parse("2031-02-03T04:05:06.789Z");

    /** The clock every store a test opens must take its times from. */
    protected final TestClock clock = new TestClock(START);

    @TempDir
    Path tmp;

    /** The store directory; it does not exist before the first {@link #store()}. */
    protected Path dir;

    private final List<Storage> opened = new ArrayList<>();

    /** Opens (creating if needed) a store of the backend under test in {@code dir}, using {@link #clock}. */
    protected abstract Storage open(Path dir) throws IOException;

    /** Every regular file under {@code dir} that holds output bytes, stored or being received. */
    protected abstract Set<Path> bodyFiles(Path dir) throws IOException;

    @BeforeEach
    void storeDir() {
        dir = tmp.resolve("store");
    }

    @AfterEach
    void closeStores() throws IOException {
        for (Storage s : opened) {
            s.close();
        }
    }

    /** Opens the backend's store in {@link #dir}; it is closed after the test. */
    protected final Storage store() throws IOException {
        Storage s = open(dir);
        opened.add(s);
        return s;
    }

    protected static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    protected static Entry put(Storage s, Digest action, byte[] body) throws IOException {
        return s.put(action, Digest.sha256(body), body.length, new ByteArrayInputStream(body));
    }

    protected static Entry hit(Storage s, Digest action) throws IOException {
        return s.get(action).orElseThrow(() -> new AssertionError("get " + action + ": got empty, want a hit"));
    }

    /** Checks that {@code e} names {@code body}: its output id, its size, and a file with exactly its bytes. */
    protected static void assertHolds(Entry e, byte[] body) throws IOException {
        assertEquals(Digest.sha256(body), e.output(), "entry output");
        assertEquals(body.length, e.size(), "entry size");
        assertTrue(e.path().isAbsolute(), "entry path: got " + e.path() + ", want absolute");
        assertTrue(Files.isRegularFile(e.path()), "entry path: got no regular file at " + e.path() + ", want one");
        assertArrayEquals(body, Files.readAllBytes(e.path()), "content of " + e.path());
    }

    private void assertNothingStored(Storage s, Digest action, Set<Path> bodyFilesBefore) throws IOException {
        Optional<Entry> e = s.get(action);
        assertTrue(e.isEmpty(), "get after a failed put: got " + e + ", want empty");
        assertEquals(bodyFilesBefore, bodyFiles(dir), "body files after a failed put");
    }

    private static byte[] text(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void get_unknownAction_isEmpty() throws IOException {
        Optional<Entry> e = store().get(action("never put"));
        assertTrue(e.isEmpty(), "got " + e + ", want empty");
    }

    @Test
    void get_afterPut_isHitWithExactBytes() throws IOException {
        Storage s = store();
        byte[] body = text("package main\n\nfunc main() {}\n");
        assertHolds(put(s, action("a"), body), body);
        assertHolds(hit(s, action("a")), body);
    }

    @Test
    void put_entryTime_isTheClocksTime() throws IOException {
        Storage s = store();
        Entry put = put(s, action("a"), text("x"));
        assertEquals(START, put.time(), "put entry time");
        clock.advance(Duration.ofHours(5));
        assertEquals(START, hit(s, action("a")).time(), "get entry time, after the clock moved on");
    }

    @Test
    void put_sameActionAgain_replacesOutput() throws IOException {
        Storage s = store();
        byte[] first = text("first output");
        byte[] second = text("second, different output");
        Entry old = put(s, action("a"), first);
        clock.advance(Duration.ofMinutes(3));
        put(s, action("a"), second);
        Entry got = hit(s, action("a"));
        assertHolds(got, second);
        assertEquals(START.plus(Duration.ofMinutes(3)), got.time(), "entry time after the second put");
        // An entry once handed out stays valid until a trim (Storage's contract).
        assertArrayEquals(first, Files.readAllBytes(old.path()), "content of the replaced entry's path");
    }

    @Test
    void put_emptyBody_isStored() throws IOException {
        Storage s = store();
        assertHolds(put(s, action("empty"), new byte[0]), new byte[0]);
        assertHolds(hit(s, action("empty")), new byte[0]);
    }

    @Test
    void put_everyByteValue_roundTrips() throws IOException {
        byte[] body = new byte[3 * 256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i < 512 ? i : 255 - i);
        }
        Storage s = store();
        put(s, action("bytes"), body);
        assertHolds(hit(s, action("bytes")), body);
    }

    @Test
    void put_body_isReadToItsEndButNotClosed() throws IOException {
        byte[] body = text("some output");
        boolean[] closed = {false};
        InputStream in = new FilterInputStream(new ByteArrayInputStream(body)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        store().put(action("a"), Digest.sha256(body), body.length, in);
        assertEquals(-1, in.read(), "next byte of the body after put");
        assertFalse(closed[0], "body closed by put: got true, want false");
    }

    @Test
    void put_bodyShorterThanSize_throwsAndStoresNothing() throws IOException {
        Storage s = store();
        Set<Path> before = bodyFiles(dir);
        byte[] body = text("forty bytes of body, give or take a few");
        InputStream shortBody = new ByteArrayInputStream(body, 0, body.length - 7);
        BodyMismatchException e = assertThrows(BodyMismatchException.class,
                () -> s.put(action("a"), Digest.sha256(body), body.length, shortBody));
        assertTrue(e.getMessage().contains(String.valueOf(body.length)),
                "message: got " + e.getMessage() + ", want the declared size " + body.length);
        assertNothingStored(s, action("a"), before);
    }

    @Test
    void put_bodyLongerThanSize_throwsAndStoresNothing() throws IOException {
        Storage s = store();
        Set<Path> before = bodyFiles(dir);
        byte[] body = text("the declared body");
        byte[] longer = text("the declared body, and then some more bytes");
        BodyMismatchException e = assertThrows(BodyMismatchException.class,
                () -> s.put(action("a"), Digest.sha256(body), body.length, new ByteArrayInputStream(longer)));
        assertTrue(e.getMessage().contains(String.valueOf(body.length)),
                "message: got " + e.getMessage() + ", want the declared size " + body.length);
        assertNothingStored(s, action("a"), before);
    }

    @Test
    void put_shaMismatch_throwsAndStoresNothing() throws IOException {
        Storage s = store();
        Set<Path> before = bodyFiles(dir);
        byte[] body = text("what arrives");
        Digest declared = Digest.sha256(text("what was promised"));
        BodyMismatchException e = assertThrows(BodyMismatchException.class,
                () -> s.put(action("a"), declared, body.length, new ByteArrayInputStream(body)));
        assertTrue(e.getMessage().contains(declared.toString()),
                "message: got " + e.getMessage() + ", want the declared output " + declared);
        assertNothingStored(s, action("a"), before);
    }

    @Test
    void put_mismatchForKnownAction_keepsEarlierOutput() throws IOException {
        Storage s = store();
        byte[] good = text("the good output");
        put(s, action("a"), good);
        byte[] bad = text("a corrupted output");
        assertThrows(BodyMismatchException.class,
                () -> s.put(action("a"), Digest.sha256(text("something else")), bad.length, new ByteArrayInputStream(bad)));
        assertHolds(hit(s, action("a")), good);
    }

    @Test
    void put_bodyFailsMidway_throwsAndStoresNothing() throws IOException {
        Storage s = store();
        Set<Path> before = bodyFiles(dir);
        int size = 300_000;
        IOException injected = new IOException("injected read failure");
        // More than one buffer's worth arrives before the failure, so some of it is on disk.
        InputStream failing = new FilterInputStream(new GeneratedBody(1, size / 2)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n < 0) {
                    throw injected;
                }
                return n;
            }
        };
        IOException e = assertThrows(IOException.class,
                () -> s.put(action("a"), Digest.sha256(new byte[0]), size, failing));
        assertFalse(e instanceof BodyMismatchException, "exception: got " + e + ", want the read failure");
        assertTrue(causes(e).contains(injected), "exception: got " + e + ", want it caused by " + injected);
        assertNothingStored(s, action("a"), before);
    }

    private static List<Throwable> causes(Throwable t) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable c = t; c != null && !chain.contains(c); c = c.getCause()) {
            chain.add(c);
        }
        return chain;
    }

    @Test
    void bodyFiles_afterPut_includeTheEntryPath() throws IOException {
        Entry e = put(store(), action("a"), text("x"));
        Set<Path> files = bodyFiles(dir);
        assertTrue(files.contains(e.path()), "body files: got " + files + ", want them to include " + e.path());
    }

    /** Output {@code variant} of action {@code key}; actions share outputs, so puts race on the same output. */
    private static byte[] concurrentBody(int key, int variant) {
        return text("output " + (key % 4) + "/" + variant + " " + "x".repeat(key % 4 * 37));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    void getAndPut_manyThreads_allSucceedAndStayConsistent() throws Exception {
        Storage s = store();
        int threads = 8;
        int opsPerThread = 50;
        int keys = 16;
        int variants = 3;
        Set<Integer> putKeys = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Random random = new Random(t);
                results.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < opsPerThread; i++) {
                        int key = random.nextInt(keys);
                        if (random.nextBoolean()) {
                            byte[] body = concurrentBody(key, random.nextInt(variants));
                            assertHolds(put(s, action("k" + key), body), body);
                            putKeys.add(key);
                        } else {
                            Optional<Entry> e = s.get(action("k" + key));
                            if (e.isPresent()) {
                                assertHoldsOneOf(e.get(), key, variants);
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<Void> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (int key = 0; key < keys; key++) {
            Optional<Entry> e = s.get(action("k" + key));
            if (putKeys.contains(key)) {
                assertTrue(e.isPresent(), "get k" + key + " after the threads put it: got empty, want a hit");
                assertHoldsOneOf(e.get(), key, variants);
            } else {
                assertTrue(e.isEmpty(), "get k" + key + ", never put: got " + e + ", want empty");
            }
        }
    }

    private static void assertHoldsOneOf(Entry e, int key, int variants) throws IOException {
        for (int v = 0; v < variants; v++) {
            byte[] body = concurrentBody(key, v);
            if (Digest.sha256(body).equals(e.output())) {
                assertHolds(e, body);
                return;
            }
        }
        throw new AssertionError("entry for k" + key + ": got output " + e.output() + ", want one of its "
                + variants + " outputs");
    }

    @Test
    void entryPath_afterClose_stillHoldsTheBytes() throws IOException {
        Storage s = store();
        byte[] body = text("handed on to go list -export");
        Entry put = put(s, action("a"), body);
        Entry got = hit(s, action("a"));
        s.close();
        assertHolds(put, body);
        assertHolds(got, body);
    }

    @Test
    void get_afterReopen_isHit() throws IOException {
        Storage s = store();
        byte[] body = text("persisted");
        Entry put = put(s, action("a"), body);
        s.close();
        clock.advance(Duration.ofDays(2));
        Entry got = hit(store(), action("a"));
        assertHolds(got, body);
        assertEquals(put.time(), got.time(), "entry time after reopening");
    }

    @Test
    void get_afterClose_throwsIOException() throws IOException {
        Storage s = store();
        put(s, action("a"), text("x"));
        s.close();
        assertThrows(IOException.class, () -> s.get(action("a")));
    }

    @Test
    void put_afterClose_throwsIOException() throws IOException {
        Storage s = store();
        s.close();
        assertThrows(IOException.class, () -> put(s, action("a"), text("x")));
    }

    @Test
    void close_twice_isHarmless() throws IOException {
        Storage s = store();
        s.close();
        s.close();
    }

    @Test
    void put_256MiBStreamed_isStored() throws IOException {
        long size = 256L << 20;
        Digest output = new Digest(DigestUtils.sha256(new GeneratedBody(42, size)));
        Storage s = store();
        Entry e = s.put(action("big"), output, size, new GeneratedBody(42, size));
        assertEquals(size, e.size(), "entry size");
        assertEquals(size, Files.size(e.path()), "file size of " + e.path());
        assertEquals(output, Digest.sha256Of(e.path()), "SHA-256 of " + e.path());
        assertEquals(output, hit(s, action("big")).output(), "output of the get after the put");
    }
}
