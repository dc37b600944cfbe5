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
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
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

    @Test
    void serverDown_isAnErrorNotAHang() throws Exception {
        HttpRemote remote = fake(200, new byte[0], Duration.ZERO);
        fake.stop(0);
        fake = null;
        assertThrows(IOException.class, () -> remote.find(Digest.sha256("a".getBytes(UTF_8))));
    }
}
