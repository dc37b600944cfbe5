package dev.larder.storage.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.server.CacheServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP remote client against larder's own cache server and against misbehaving fakes, on loopback. */
class HttpRemoteTest {
    @TempDir
    Path dir;
    private LocalStore store;
    private CacheServer server;
    private HttpServer fake;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
        if (fake != null) {
            fake.stop(0);
        }
    }

    private HttpRemote larderServe(Optional<String> token) throws IOException {
        store = LocalStore.open(dir.resolve("store"));
        server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), token, false, 1 << 20,
                new PrintStream(PrintStream.nullOutputStream()));
        return HttpRemote.create(URI.create("http://127.0.0.1:" + server.port()), token, Duration.ofSeconds(5));
    }

    /** A server answering every request with {@code status} and {@code body}, after {@code delay}. */
    private HttpRemote fake(int status, byte[] body, Duration delay) throws IOException {
        fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        fake.createContext("/", x -> {
            try (x) {
                if (!delay.isZero()) {
                    try {
                        release.await(delay.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    try (OutputStream out = x.getResponseBody()) {
                        out.write(body);
                    }
                }
            }
        });
        fake.start();
        return HttpRemote.create(URI.create("http://127.0.0.1:" + fake.getAddress().getPort() + "/"), Optional.empty(),
                Duration.ofMillis(500));
    }

    @Test
    void putThenGet_roundTripsThroughLarderServe() throws Exception {
        HttpRemote remote = larderServe(Optional.of("tok"));
        byte[] body = "shared between machines".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        Digest action = Digest.sha256("an action".getBytes(UTF_8));
        Path file = Files.write(dir.resolve("body"), body);
        remote.putBlob(out, file);
        remote.putBlob(out, file); // already there: a HEAD, no upload
        remote.putAction(action, new StoredOutput(out, body.length, Instant.EPOCH));

        StoredOutput r = remote.find(action).orElseThrow();
        assertEquals(out, r.output());
        Path into = dir.resolve("fetched");
        assertTrue(remote.fetchBlob(out, body.length, into));
        assertArrayEquals(body, Files.readAllBytes(into));
        assertEquals(Optional.empty(), remote.find(Digest.sha256("unknown".getBytes(UTF_8))));
        assertFalse(remote.fetchBlob(Digest.sha256("none".getBytes(UTF_8)), 4, dir.resolve("none")));
    }

    @Test
    void put_wrongToken_failsWithTheServersWords() throws Exception {
        larderServe(Optional.of("right"));
        HttpRemote wrong = HttpRemote.create(URI.create("http://127.0.0.1:" + server.port()), Optional.of("wrong"),
                Duration.ofSeconds(5));
        Path file = Files.write(dir.resolve("b"), "x".getBytes(UTF_8));
        IOException e = assertThrows(IOException.class, () -> wrong.putBlob(Digest.sha256("x".getBytes(UTF_8)), file));
        assertTrue(e.getMessage().contains("answered 401"), e.getMessage());
    }

    @Test
    void fetchBlob_tamperedBody_isRefusedAndNothingKept() throws Exception {
        HttpRemote remote = fake(200, "not what was stored".getBytes(UTF_8), Duration.ZERO);
        byte[] real = "what was stored here".getBytes(UTF_8);
        Path into = dir.resolve("fetched");
        IOException e = assertThrows(IOException.class,
                () -> remote.fetchBlob(Digest.sha256(real), real.length, into));
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertFalse(Files.exists(into), "a tampered body was left on disk");
    }

    @Test
    void find_garbage_isAnError() throws Exception {
        HttpRemote remote = fake(200, "<html>proxy error</html>".getBytes(UTF_8), Duration.ZERO);
        assertThrows(IOException.class, () -> remote.find(Digest.sha256("a".getBytes(UTF_8))));
    }

    @Test
    void serverThatNeverAnswers_timesOut() throws Exception {
        // The fake answers only when the test ends: without the client's timeout the call would
        // hang, which the preemptive guard turns into a failure.
        HttpRemote remote = fake(200, new byte[0], Duration.ofDays(1));
        IOException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(IOException.class, () -> remote.find(Digest.sha256("a".getBytes(UTF_8)))));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    /**
     * A raw HTTP server on loopback: every connection gets {@code script} (after the request's
     * headers are read), on its own thread, until the test ends.
     */
    private final class RawServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> accepted = new CopyOnWriteArrayList<>();

        RawServer(Script script) throws IOException {
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket c = socket.accept();
                        accepted.add(c);
                        Thread h = new Thread(() -> {
                            try (c) {
                                readHeaders(c.getInputStream());
                                script.run(c.getOutputStream(), this);
                            } catch (IOException | InterruptedException e) {
                                // the client gave up or the test ended
                            }
                        });
                        h.setDaemon(true);
                        h.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/");
        }

        void write(OutputStream out, String s) throws IOException {
            out.write(s.getBytes(UTF_8));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket c : accepted) {
                c.close();
            }
        }
    }

    private interface Script {
        void run(OutputStream out, RawServer server) throws IOException, InterruptedException;
    }

    private static void readHeaders(InputStream in) throws IOException {
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed");
            }
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }

    private static final Duration SHORT = Duration.ofMillis(500);

    /** The timeout of the clients of {@link #trickle}: well over its interval, on a busy machine too. */
    private static final Duration TRICKLE_TIMEOUT = Duration.ofSeconds(1);

    /** Headers of a 300-byte body, then one byte of it every 0.4 {@link #TRICKLE_TIMEOUT}, for ever. */
    private static void trickle(OutputStream out, RawServer s) throws IOException, InterruptedException {
        s.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n");
        while (true) {
            s.write(out, "x");
            Thread.sleep(TRICKLE_TIMEOUT.toMillis() * 2 / 5);
        }
    }

    private static void assertFindFails(RawServer raw, Duration timeout, String want) {
        HttpRemote remote = HttpRemote.create(raw.uri(), Optional.empty(), timeout);
        IOException e = assertThrows(IOException.class, () -> remote.find(Digest.sha256("a".getBytes(UTF_8))));
        assertTrue(e.getMessage().contains(want), "got " + e.getMessage() + ", want " + want);
    }

    private void stall() throws InterruptedException {
        release.await();
    }

    @Test
    @Timeout(60)
    void find_headersThenPartOfTheBodyThenStall_failsNotHangs() throws Exception {
        try (RawServer raw = new RawServer((out, s) -> {
            s.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + "x".repeat(100));
            stall();
        })) {
            assertFindFails(raw, SHORT, "no data for 500 ms mid-body");
        }
    }

    @Test
    @Timeout(60)
    void find_bodyTrickledJustUnderTheTimeout_failsAtTheDeadline() throws Exception {
        try (RawServer raw = new RawServer(HttpRemoteTest::trickle)) {
            assertFindFails(raw, TRICKLE_TIMEOUT, "not read to its end within 4000 ms");
        }
    }

    @Test
    @Timeout(60)
    void fetchBlob_bodyTrickledJustUnderTheTimeout_failsAtTheDeadline() throws Exception {
        byte[] real = "x".repeat(300).getBytes(UTF_8);
        try (RawServer raw = new RawServer(HttpRemoteTest::trickle)) {
            HttpRemote remote = HttpRemote.create(raw.uri(), Optional.empty(), TRICKLE_TIMEOUT);
            Path into = dir.resolve("fetched");
            IOException e = assertThrows(IOException.class, () -> remote.fetchBlob(Digest.sha256(real), real.length, into));
            assertTrue(e.getMessage().contains("not read to its end within 5000 ms"), e.getMessage());
            assertFalse(Files.exists(into), "a partial body was left on disk");
        }
    }

    @Test
    @Timeout(60)
    void find_endlessBody_isRefusedAfterTheCap() throws Exception {
        String chunk = "x".repeat(8192);
        try (RawServer raw = new RawServer((out, s) -> {
            s.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            while (true) {
                s.write(out, chunk);
            }
        })) {
            assertFindFails(raw, Duration.ofSeconds(5), "a record longer than 65536 bytes: refused");
        }
    }

    @Test
    @Timeout(60)
    void find_declaredHugeRecord_isRefusedUnread() throws Exception {
        try (RawServer raw = new RawServer((out, s) -> {
            s.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
            stall();
        })) {
            assertFindFails(raw, Duration.ofSeconds(5), "a record of 1000000000 bytes, the limit is 65536");
        }
    }

    @Test
    void redirectToAnotherOrigin_isNotFollowedAndTheTokenStaysHome() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", x -> {
            try (x) {
                seen.add(x.getRequestMethod() + " " + x.getRequestURI() + " " + x.getRequestHeaders().getFirst("Authorization"));
                x.sendResponseHeaders(404, -1);
            }
        });
        other.start();
        try {
            String to = "http://127.0.0.1:" + other.getAddress().getPort();
            fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            fake.createContext("/", x -> {
                try (x) {
                    x.getRequestBody().readAllBytes();
                    x.getResponseHeaders().set("Location", to + x.getRequestURI().getPath());
                    x.sendResponseHeaders(307, -1);
                }
            });
            fake.start();
            HttpRemote remote = HttpRemote.create(URI.create("http://127.0.0.1:" + fake.getAddress().getPort() + "/"),
                    Optional.of("s3cret"), Duration.ofSeconds(5));
            Digest d = Digest.sha256("a".getBytes(UTF_8));
            IOException find = assertThrows(IOException.class, () -> remote.find(d));
            assertTrue(find.getMessage().contains("answered 307 (a redirect to " + to + "/ac/" + d + ": not followed"),
                    find.getMessage());
            IOException open = assertThrows(IOException.class, () -> remote.open(d, 1));
            assertTrue(open.getMessage().contains("answered 307 (a redirect"), open.getMessage());
            Path file = Files.write(dir.resolve("b"), "a".getBytes(UTF_8));
            IOException put = assertThrows(IOException.class, () -> remote.putBlob(d, file));
            assertTrue(put.getMessage().contains("answered 307 (a redirect"), put.getMessage());
            assertEquals(List.of(), seen, "the other origin was asked");
        } finally {
            other.stop(0);
        }
    }

    @Test
    void misses_reuseOneConnection() throws Exception {
        Set<Integer> ports = ConcurrentHashMap.newKeySet();
        fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        fake.createContext("/", x -> {
            try (x) {
                ports.add(x.getRemoteAddress().getPort());
                byte[] body = "no such action\n".getBytes(UTF_8);
                x.sendResponseHeaders(404, body.length);
                x.getResponseBody().write(body);
            }
        });
        fake.start();
        HttpRemote remote = HttpRemote.create(URI.create("http://127.0.0.1:" + fake.getAddress().getPort() + "/"),
                Optional.empty(), Duration.ofSeconds(5));
        for (int i = 0; i < 5; i++) {
            assertEquals(Optional.empty(), remote.find(Digest.sha256(("a" + i).getBytes(UTF_8))));
            assertEquals(Optional.empty(), remote.open(Digest.sha256(("b" + i).getBytes(UTF_8)), 1));
        }
        assertEquals(1, ports.size(), "connections: got " + ports.size() + ", want 1 (the misses' bodies read to their end)");
    }

    @Test
    void serverDown_isAnErrorNotAHang() throws Exception {
        HttpRemote remote = fake(200, new byte[0], Duration.ZERO);
        fake.stop(0);
        fake = null;
        assertThrows(IOException.class, () -> remote.find(Digest.sha256("a".getBytes(UTF_8))));
    }
}
