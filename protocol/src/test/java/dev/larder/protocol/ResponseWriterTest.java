package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

final class ResponseWriterTest {
    private static final OutputId OUTPUT = OutputId.fromHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    @Test
    void writeHandshake_anyCommandList_matchesTheJsonEncoding() throws IOException {
        for (List<String> commands : List.of(List.of("get", "put", "close"), List.of("get", "close"),
                List.of("get"), List.<String>of())) {
            CountingStream byHand = new CountingStream();
            new ResponseWriter(byHand).writeHandshake(commands);
            CountingStream byJackson = new CountingStream();
            new ResponseWriter(byJackson).write(Response.handshake(commands));
            assertEquals(byJackson.text(), byHand.text(),
                    "handshake for " + commands);
            assertEquals(1, byHand.flushes, "flushes after the handshake");
        }
    }

    @Test
    void writeHandshake_commandNeedingEscapes_isRefused() {
        ResponseWriter w = new ResponseWriter(new ByteArrayOutputStream());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> w.writeHandshake(List.of("get", "p\"ut")));
    }

    @Test
    void write_sessionOfResponses_writesOneFlushedLineEach() throws IOException {
        CountingStream out = new CountingStream();
        ResponseWriter w = new ResponseWriter(out);

        w.write(Response.handshake(List.of("get", "put", "close")));
        assertEquals(1, out.flushes, "flushes after the handshake");
        w.write(Response.miss(5));
        w.write(Response.found(6, OUTPUT, 3, Instant.parse("2026-11-21T19:09:03.123456789Z"), "/c/6"));
        w.write(Response.error(7, "get: disk gone"));
        w.write(Response.closed(8));

        assertEquals("{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}\n"
                + "{\"ID\":5,\"Miss\":true}\n"
                + "{\"ID\":6,\"OutputID\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\",\"Size\":3,"
                + "\"Time\":\"2026-11-21T19:09:03.123456789Z\",\"DiskPath\":\"/c/6\"}\n"
                + "{\"ID\":7,\"Err\":\"get: disk gone\"}\n"
                + "{\"ID\":8}\n", out.text());
        assertEquals(5, out.flushes, "flushes after five responses");
    }

    @Test
    void close_closesTheStream() throws IOException {
        CountingStream out = new CountingStream();
        new ResponseWriter(out).close();
        assertTrue(out.closed, "stream closed");
    }

    @Test
    void write_fromManyThreads_neverInterleavesLines() throws Exception {
        int threads = 16;
        int perThread = 300;
        CountingStream out = new CountingStream();
        ResponseWriter w = new ResponseWriter(out);
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * perThread;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 1; i <= perThread; i++) {
                        long id = base + i;
                        w.write(id % 2 == 0
                                ? Response.error(id, "error number " + id + " " + "x".repeat((int) (id % 97)))
                                : Response.found(id, OUTPUT, id, Instant.ofEpochSecond(id, id), "/c/" + id));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : writers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        String text = out.text();
        assertTrue(text.endsWith("\n"), "output must end with a newline");
        String[] lines = text.split("\n");
        assertEquals(threads * perThread, lines.length, "line count");
        Set<Long> ids = new TreeSet<>();
        for (String line : lines) {
            Response r = Json.MAPPER.readValue(line, Response.class);
            String want = r.id() % 2 == 0
                    ? Json.MAPPER.writeValueAsString(Response.error(r.id(),
                            "error number " + r.id() + " " + "x".repeat((int) (r.id() % 97))))
                    : Json.MAPPER.writeValueAsString(Response.found(r.id(), OUTPUT, r.id(),
                            Instant.ofEpochSecond(r.id(), r.id()), "/c/" + r.id()));
            assertEquals(want, line, "line for ID " + r.id());
            assertTrue(ids.add(r.id()), "got ID " + r.id() + " twice, want it once");
        }
        assertEquals(threads * perThread, ids.size(), "distinct IDs");
    }

    /**
     * An unsynchronized stream that takes one byte per call, so that unserialized writers would
     * interleave their lines byte by byte.
     */
    private static final class CountingStream extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int flushes;
        private boolean closed;

        @Override
        public void write(int b) {
            bytes.write(b);
        }

        @Override
        public void flush() {
            flushes++;
        }

        @Override
        public void close() {
            closed = true;
        }

        String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
