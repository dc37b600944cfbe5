package dev.larder.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link Backend} promises, checked from outside against a real instance: the SPI a
 * {@link StorageProvider} plugin implements. Shipped in larder-storage's test-jar for plugin
 * authors (the README's "Writing a storage plugin" shows the dependency).
 *
 * <p>A backend's test extends this class and implements {@link #open}, which opens the backend
 * under test (for instance through its provider, with {@link #context()}). Every call within one
 * test must open a client of the same, initially empty data: what one instance stored, another
 * finds, as two machines sharing a cache would. Each test opens its own data. Checks of a
 * backend's own layout or protocol belong in its subclass.
 *
 * <p>What is checked: a stored action is found with its output and size, and its body opens with
 * exactly the stored bytes; unknown actions and outputs are empty, not errors; storing an action
 * again names the newer output; the body is stored before the record, so a reader running while
 * stores are under way never finds an action whose body does not open; many threads may store at
 * once; a backend that is {@link Backend#local() local} holds what was stored in its local
 * files; what was stored outlives {@link Backend#close()}, and closing twice is harmless.
 */
public abstract class BackendContract {
    /** Where {@link #clock} starts: far from the real time. */
    protected static final Instant START = Instant.parse("2031-02-03T04:05:06.789Z");

    /** The clock {@link #context()} hands to providers. */
    protected final TestClock clock = new TestClock(START);

    private final List<Backend> opened = new ArrayList<>();

    /**
     * Opens an instance of the backend under test over this test's data: empty at the test's
     * first call; later calls in the same test see what earlier instances stored.
     */
    protected abstract Backend open() throws IOException;

    /** A context for providers: no token, a 30 s timeout, {@link #clock}, no environment. */
    protected BackendContext context() {
        return new BackendContext(Optional.empty(), Duration.ofSeconds(30), clock, Map.of());
    }

    /** Opens an instance through {@link #open}; it is closed after the test. */
    protected final Backend backend() throws IOException {
        Backend b = open();
        opened.add(b);
        return b;
    }

    /** Closes what {@link #backend()} opened (again, if a test closed it: closing twice is harmless). */
    @AfterEach
    protected final void closeBackends() throws IOException {
        for (Backend b : opened) {
            b.close();
        }
        opened.clear();
    }

    protected static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    /** Writes {@code body} to a file, hashes it and stores it as the output of {@code action}; returns its output id. */
    protected static Digest store(Backend b, Digest action, byte[] body) throws IOException {
        Path file = Files.createTempFile("larder-backend-contract-", ".body");
        try {
            Files.write(file, body);
            Digest output = Digest.sha256(body);
            b.store(action, output, body.length, file);
            return output;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The output recorded for {@code action}, failing if there is none. */
    protected static StoredOutput found(Backend b, Digest action) throws IOException {
        return b.find(action).orElseThrow(() -> new AssertionError("find " + action + ": got empty, want a record"));
    }

    /** The bytes {@code open} serves for {@code output}, failing if it serves none. */
    protected static byte[] body(Backend b, Digest output, long size) throws IOException {
        Optional<InputStream> in = b.open(output, size);
        assertTrue(in.isPresent(), "open " + output + ": got empty, want its body");
        try (InputStream s = in.get()) {
            return s.readAllBytes();
        }
    }

    /** Checks that {@code action} is found naming {@code body}, and that its output opens with exactly those bytes. */
    protected static void assertServes(Backend b, Digest action, byte[] body) throws IOException {
        StoredOutput found = found(b, action);
        assertEquals(Digest.sha256(body), found.output(), "find " + action + ": output");
        assertEquals(body.length, found.size(), "find " + action + ": size");
        assertBytes(body, body(b, found.output(), found.size()), "open " + found.output());
    }

    private static void assertBytes(byte[] want, byte[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        assertArrayEquals(want, got, what + ": bytes");
    }

    /** The result of {@code f}; a failed check or I/O error in its task is rethrown as it was, not wrapped. */
    private static <T> T join(Future<T> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new AssertionError("task failed: " + e.getCause(), e.getCause());
        }
    }

    private static byte[] text(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    public void find_unknownAction_isEmpty() throws IOException {
        Optional<StoredOutput> got = backend().find(action("never stored"));
        assertTrue(got.isEmpty(), "got " + got + ", want empty");
    }

    @Test
    public void open_unknownOutput_isEmpty() throws IOException {
        byte[] never = text("never stored");
        Optional<InputStream> got = backend().open(Digest.sha256(never), never.length);
        try {
            assertTrue(got.isEmpty(), "got a body, want empty");
        } finally {
            if (got.isPresent()) {
                got.get().close();
            }
        }
    }

    /** Stores {@code body} for each of {@code actions}, in order, on one instance; then checks that each serves it. */
    private void storeThenServe(byte[] body, String... actions) throws IOException {
        Backend b = backend();
        for (String a : actions) {
            store(b, action(a), body);
        }
        for (String a : actions) {
            assertServes(b, action(a), body);
        }
    }

    @Test
    public void store_thenFindAndOpen_serveTheExactBytes() throws IOException {
        storeThenServe(text("package main\n\nfunc main() {}\n"), "a");
    }

    @Test
    public void store_everyByteValue_roundTrips() throws IOException {
        byte[] body = new byte[3 * 256];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i < 512 ? i : 255 - i);
        }
        storeThenServe(body, "bytes");
    }

    @Test
    public void store_emptyBody_roundTrips() throws IOException {
        storeThenServe(new byte[0], "empty");
    }

    @Test
    public void store_severalMiB_roundTrips() throws IOException {
        // Larger than any one buffer of a client or server, so the body is streamed in pieces.
        storeThenServe(new GeneratedBody(7, (5L << 20) + 12_345).readAllBytes(), "big");
    }

    @Test
    public void store_isSeenByAnotherInstance() throws IOException {
        byte[] body = text("stored by one machine, found by another");
        store(backend(), action("shared"), body);
        assertServes(backend(), action("shared"), body);
    }

    @Test
    public void store_sameActionAgain_findNamesTheNewOutput() throws IOException {
        Backend b = backend();
        store(b, action("a"), text("first output"));
        clock.advance(Duration.ofMinutes(3));
        byte[] second = text("second, different output");
        store(b, action("a"), second);
        assertServes(b, action("a"), second);
    }

    @Test
    public void store_sameOutputTwice_isHarmless() throws IOException {
        storeThenServe(text("stored twice"), "a", "a");
    }

    @Test
    public void store_twoActionsOneOutput_bothFound() throws IOException {
        storeThenServe(text("the same output for two actions"), "a", "b");
    }

    @Test
    public void store_otherAction_leavesUnknownActionEmpty() throws IOException {
        Backend b = backend();
        store(b, action("a"), text("x"));
        Optional<StoredOutput> got = b.find(action("b"));
        assertTrue(got.isEmpty(), "find of an action never stored: got " + got + ", want empty");
    }

    @Test
    public void open_twice_servesTheBytesEachTime() throws IOException {
        Backend b = backend();
        byte[] body = text("read by two clients");
        Digest output = store(b, action("a"), body);
        assertBytes(body, body(b, output, body.length), "first open");
        assertBytes(body, body(b, output, body.length), "second open");
    }

    /** How many actions {@link #find_duringStores_neverNamesABodyThatDoesNotOpen} stores. */
    private static final int RACED_ACTIONS = 40;

    private static byte[] racedBody(int i) {
        return text("raced output " + i + " " + "y".repeat(i * 13));
    }

    /**
     * The body-before-record rule, seen from outside: while one instance stores action after
     * action, readers on other instances look them up over and over; every record a reader
     * finds must name a body that opens, with exactly its bytes.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    public void find_duringStores_neverNamesABodyThatDoesNotOpen() throws Exception {
        Backend writer = backend();
        List<Backend> readers = List.of(backend(), backend());
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(1 + readers.size());
        try {
            List<Future<Integer>> reads = new ArrayList<>();
            for (Backend r : readers) {
                reads.add(pool.submit(() -> {
                    // One more full pass after the writer is done, so every record is looked at.
                    while (true) {
                        boolean last = !writing.get();
                        int hits = 0;
                        for (int i = 0; i < RACED_ACTIONS; i++) {
                            Optional<StoredOutput> found = r.find(action("raced " + i));
                            if (found.isPresent()) {
                                hits++;
                                byte[] want = racedBody(i);
                                assertEquals(Digest.sha256(want), found.get().output(), "find raced " + i + ": output");
                                assertBytes(want, body(r, found.get().output(), found.get().size()),
                                        "open of the output found for raced " + i + ", while stores were under way");
                            }
                        }
                        if (last) {
                            return hits;
                        }
                    }
                }));
            }
            Future<Void> write = pool.submit(() -> {
                try {
                    for (int i = 0; i < RACED_ACTIONS; i++) {
                        store(writer, action("raced " + i), racedBody(i));
                    }
                } finally {
                    writing.set(false);
                }
                return null;
            });
            join(write);
            for (Future<Integer> f : reads) {
                assertEquals(RACED_ACTIONS, join(f), "records found in the readers' last pass, after every store");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
    public void store_manyThreads_allFound() throws Exception {
        Backend b = backend();
        int threads = 8;
        int perThread = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Void>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        // Threads share outputs, so stores of one output race.
                        store(b, action("t" + thread + "/" + i), text("output " + i));
                    }
                    return null;
                }));
            }
            for (Future<Void> f : results) {
                join(f);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                assertServes(b, action("t" + t + "/" + i), text("output " + i));
            }
        }
    }

    @Test
    public void local_ifPresent_holdsWhatWasStoredInLocalFiles() throws IOException {
        Backend b = backend();
        Optional<Storage> local = b.local();
        if (local.isEmpty()) {
            return; // a remote backend: nothing to check
        }
        byte[] body = text("handed to cmd/go as a local file");
        store(b, action("a"), body);
        Entry e = local.get().get(action("a")).orElseThrow(
                () -> new AssertionError("local().get after store: got empty, want the stored output"));
        assertEquals(Digest.sha256(body), e.output(), "local entry output");
        assertBytes(body, Files.readAllBytes(e.path()), "content of the local entry's file " + e.path());
    }

    @Test
    public void close_keepsWhatWasStored() throws IOException {
        Backend b = backend();
        byte[] body = text("outlives the instance that stored it");
        store(b, action("a"), body);
        b.close();
        assertServes(backend(), action("a"), body);
    }

    @Test
    public void close_twice_isHarmless() throws IOException {
        Backend b = backend();
        b.close();
        b.close();
    }
}
