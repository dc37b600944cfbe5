package dev.larder.storage.server;

import static dev.larder.storage.server.LoopbackClients.head;
import static dev.larder.storage.server.LoopbackClients.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link BoundedHttpServer} at its connection cap and under a client that reads its response
 * too slowly, over real sockets on loopback, with a handler that answers {@code /bytes/N} with
 * N bytes and {@code /block} once the test lets it.
 */
class BoundedHttpServerTest {
    private static final int CAP = 8;
    private BoundedHttpServer server;
    private final LoopbackClients clients = new LoopbackClients();
    private final Semaphore entered = new Semaphore(0);
    private final CountDownLatch release = new CountDownLatch(1);

    private void start(ConnectionSettings limits) throws IOException {
        server = BoundedHttpServer.start(new InetSocketAddress("127.0.0.1", 0), 128, limits, this::handle);
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            if (path.equals("/block")) {
                entered.release();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            long n = path.startsWith("/bytes/") ? Long.parseLong(path.substring("/bytes/".length())) : 2;
            x.sendResponseHeaders(200, n);
            OutputStream out = x.getResponseBody();
            byte[] chunk = new byte[64 * 1024];
            for (long left = n; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(left, chunk.length));
            }
        }
    }

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        clients.close();
        if (server != null) {
            server.close();
        }
    }

    private Socket connect() throws IOException {
        return clients.connect(server.port());
    }

    /** Waits, up to 20 s, for {@code condition}, which the server reaches on its own threads. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long stop = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < stop, "gave up waiting for " + what);
            Thread.sleep(10);
        }
    }

    private static ConnectionSettings longDeadlines(int cap) {
        return new ConnectionSettings(cap, Duration.ofMinutes(10), Duration.ofMinutes(10), 1);
    }

    @Test
    @Timeout(60)
    void atCap_idleKeepAliveConnectionIsEvictedForANewClient() throws Exception {
        start(longDeadlines(CAP));
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < CAP; i++) {
            Socket s = connect();
            send(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
            String h = head(s);
            assertTrue(h.startsWith("HTTP/1.1 200 "), h);
            assertEquals(2, s.getInputStream().readNBytes(2).length);
            idle.add(s);
            // The server marks a connection idle after it has sent the response, so the client can
            // be ahead of it: wait, so that each one is idle before the next, and the first longest.
            int n = i + 1;
            await(() -> server.waiting() == n, n + " idle keep-alive connections");
        }

        Socket late = connect();
        send(late, "GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        String h = head(late);
        assertTrue(h.startsWith("HTTP/1.1 200 "), "got " + h + ", want 200 once an idle connection made room");
        // The first one, idle longest, was closed to make room.
        assertEquals(-1, idle.get(0).getInputStream().read());
    }

    /** Fills the server with connections that each sent {@code request}, waits for {@code busy}, and checks that one more is answered 503. */
    private void atCapNoneIdle_theNextIs503(String request, BooleanSupplier busy, String what) throws Exception {
        start(longDeadlines(CAP));
        for (int i = 0; i < CAP; i++) {
            send(connect(), request);
        }
        await(() -> server.connections() == CAP && server.waiting() == 0 && busy.getAsBoolean(), CAP + " connections " + what);

        String h = head(connect());
        assertTrue(h.startsWith("HTTP/1.1 503 "), "got " + h + ", want 503: no connection is idle");
    }

    @Test
    @Timeout(60)
    void atCap_connectionsMidHeaders_theNextIs503() throws Exception {
        atCapNoneIdle_theNextIs503("GET /ok HTTP/1.1\r\nX-Slow: a", () -> true, "mid-headers");
    }

    @Test
    @Timeout(60)
    void atCap_connectionsMidResponse_theNextIs503() throws Exception {
        atCapNoneIdle_theNextIs503("GET /block HTTP/1.1\r\nHost: x\r\n\r\n", () -> entered.availablePermits() == CAP,
                "in their handlers");
    }

    @Test
    @Timeout(60)
    void acceptFailures_anErrorAndFailingAccepts_serverKeepsAccepting() throws Exception {
        // An Error where the accept loop once had no catch, then accepts that fail at once, as
        // they do when the process is out of file descriptors.
        AtomicInteger failures = new AtomicInteger();
        ServerSocket listener = new ServerSocket() {
            @Override
            public Socket accept() throws IOException {
                switch (failures.getAndIncrement()) {
                    case 0: throw new OutOfMemoryError("injected");
                    case 1: case 2: throw new IOException("injected: too many open files");
                    default: return super.accept();
                }
            }
        };
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        server = BoundedHttpServer.serve(listener, longDeadlines(CAP), this::handle);

        Socket s = connect();
        send(s, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
        String h = head(s);
        assertTrue(h.startsWith("HTTP/1.1 200 "), "got " + h + ", want 200 after the accept failures");
    }

    @Test
    @Timeout(60)
    void slowReader_responseIsCutAtItsDeadline() throws Exception {
        // 8 MiB at a minimum of 8 MiB/s after 5 s of grace: due 6 s after its headers. Each 64 KiB
        // write, read here at about 200 KiB/s, takes well under the 5 s idle limit; the whole
        // response would take some 40 s.
        long n = 8L << 20;
        start(new ConnectionSettings(CAP, Duration.ofSeconds(5), Duration.ofSeconds(5), 8L << 20));
        Socket s = clients.connect(server.port(), 4096);
        send(s, "GET /bytes/" + n + " HTTP/1.1\r\nHost: x\r\n\r\n");
        String h = head(s);
        assertTrue(h.startsWith("HTTP/1.1 200 "), h);
        InputStream in = s.getInputStream();
        byte[] buf = new byte[1024];
        long got = 0;
        try {
            for (int k; got < n && (k = in.read(buf)) >= 0; got += k) {
                Thread.sleep(5);
            }
        } catch (SocketException reset) {
            // the server reset the connection at the deadline
        }
        assertTrue(got < n, "got all " + got + " bytes, want the response cut at its deadline");
    }
}
