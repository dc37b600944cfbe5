package dev.larder.storage.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static dev.larder.storage.server.LoopbackClients.readToEnd;
import static dev.larder.storage.server.LoopbackClients.send;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.h2.LocalStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * larder's cache server under clients that connect and stall, trickle their headers, or never
 * send the body they declared, over real sockets on loopback: it closes them and keeps serving.
 */
class CacheServerLimitsTest {
    private static final String TOKEN = "s3cret";
    @TempDir
    Path dir;
    private LocalStore store;
    private CacheServer server;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final LoopbackClients clients = new LoopbackClients();

    private void start(ConnectionSettings limits) throws IOException {
        store = LocalStore.open(dir.resolve("store"));
        server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), Optional.of(TOKEN), false, 1 << 20,
                new PrintStream(log, true, UTF_8), limits);
    }

    @AfterEach
    void stop() throws IOException {
        clients.close();
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private Socket connect() throws IOException {
        return clients.connect(server.port());
    }

    /** A normal client's PUT then GET of a body; each must be answered within the client's timeout. */
    private void putAndGet(int n) throws Exception {
        byte[] body = ("a normal body " + n).getBytes(UTF_8);
        Digest d = Digest.sha256(body);
        URI uri = URI.create("http://127.0.0.1:" + server.port() + "/cas/" + d);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + TOKEN).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), "PUT: " + put.body());
        HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, get.statusCode());
        assertArrayEquals(body, get.body());
    }

    @Test
    @Timeout(120)
    void slowloris_othersKeepBeingServed() throws Exception {
        start(new ConnectionSettings(1024, Duration.ofSeconds(2), Duration.ofSeconds(1), 64 * 1024));
        Digest key = Digest.sha256("slow".getBytes(UTF_8));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger closedByServer = new AtomicInteger();
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            slow.add(connect());
        }
        // Unauthenticated PUTs that declare a body and never send it, and authenticated ones that stall mid-body.
        List<Socket> puts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Socket s = connect();
            send(s, "PUT /cas/" + key + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                    + (i % 4 == 0 ? "Authorization: Bearer " + TOKEN + "\r\n\r\nhalf" : "\r\n"));
            puts.add(s);
        }
        Thread loris = new Thread(() -> {
            String header = "GET /cas/" + key + " HTTP/1.1\r\nX-Slow: " + "a".repeat(1 << 16);
            int[] at = new int[slow.size()];
            while (running.get()) {
                for (int i = 0; i < slow.size(); i++) {
                    try {
                        send(slow.get(i), header.substring(at[i], at[i] + 1));
                        at[i]++;
                    } catch (IOException | IndexOutOfBoundsException closed) {
                        closedByServer.incrementAndGet();
                        try {
                            slow.set(i, connect());
                            at[i] = 0;
                        } catch (IOException e) {
                            return;
                        }
                    }
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "slowloris");
        loris.setDaemon(true);
        loris.start();
        try {
            for (int n = 0; n < 15; n++) {
                putAndGet(n);
                Thread.sleep(200);
            }
            for (Socket s : puts) {
                String reply = readToEnd(s);
                assertTrue(reply.isEmpty() || reply.startsWith("HTTP/1.1 401 ") || reply.startsWith("HTTP/1.1 500 "),
                        "got " + reply + ", want a 401 to the unauthenticated, nothing or 500 to the stalled");
            }
        } finally {
            running.set(false);
            loris.join(10_000);
        }
        assertTrue(closedByServer.get() > 0, "no slowloris connection was closed by the server");
    }

    @Test
    @Timeout(60)
    void refusedPut_isAnsweredAndClosedWithoutReadingItsBody() throws Exception {
        // Deadlines far beyond the test's timeout: only not draining the body ends the connection in time.
        start(new ConnectionSettings(16, Duration.ofMinutes(10), Duration.ofMinutes(10), 1));
        Socket s = connect();
        send(s, "PUT /cas/" + Digest.sha256(new byte[] {1}) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
        String reply = readToEnd(s);
        assertTrue(reply.startsWith("HTTP/1.1 401 "), reply);
        assertTrue(reply.contains("Connection: close"), reply);
    }

    /** A PUT of one byte awaiting {@code 100 Continue}, with {@code headers}, on a server with long deadlines. */
    private Socket putExpectingContinue(String headers) throws IOException {
        start(new ConnectionSettings(16, Duration.ofMinutes(10), Duration.ofMinutes(10), 1));
        Socket s = connect();
        send(s, "PUT /cas/" + Digest.sha256(new byte[] {1}) + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                + "Expect: 100-continue\r\n" + headers + "\r\n");
        return s;
    }

    @Test
    @Timeout(60)
    void expectContinue_refusedPutGetsNoContinue() throws Exception {
        String reply = readToEnd(putExpectingContinue(""));
        assertTrue(reply.startsWith("HTTP/1.1 401 "), reply);
    }

    @Test
    @Timeout(60)
    void expectContinue_authorizedPutGetsContinueThenCreated() throws Exception {
        Socket s = putExpectingContinue("Authorization: Bearer " + TOKEN + "\r\nConnection: close\r\n");
        String cont = new String(s.getInputStream().readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length()), ISO_8859_1);
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", cont);
        s.getOutputStream().write(1);
        String reply = readToEnd(s);
        assertTrue(reply.startsWith("HTTP/1.1 201 "), reply);
    }

    @Test
    @Timeout(60)
    void headersNeverFinished_connectionIsClosedAtTheHeaderDeadline() throws Exception {
        start(new ConnectionSettings(16, Duration.ofMinutes(10), Duration.ofSeconds(1), 1));
        Socket s = connect();
        send(s, "GET /cas/");
        assertEquals("", readToEnd(s));
    }

    @Test
    @Timeout(60)
    void stalledBody_connectionIsClosedAfterTheIdleTimeout() throws Exception {
        start(new ConnectionSettings(16, Duration.ofSeconds(1), Duration.ofMinutes(10), 1));
        Socket s = connect();
        byte[] body = "never all sent".getBytes(UTF_8);
        Digest d = Digest.sha256(body);
        send(s, "PUT /cas/" + d + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\nContent-Length: "
                + body.length + "\r\n\r\nnever");
        readToEnd(s);
        assertEquals(Optional.empty(), store.blob(d));
    }

    @Test
    void accessLog_escapesControlCharacters() throws Exception {
        start(ConnectionSettings.DEFAULTS);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/cas/%0alarder%20serve:%201.2.3.4%20PUT%20/ac/x%20201%200%20bytes%200%20ms%1b%5b2J%5c%c2%85"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode());
        String text = log.toString(UTF_8);
        assertEquals(1, text.lines().count(), "got " + text + ", want one line");
        assertTrue(text.contains("/cas/\\x0alarder serve: 1.2.3.4 PUT /ac/x 201 0 bytes 0 ms\\x1b[2J\\x5c\\u0085 404"), text);
    }

    @Test
    void printable_keepsPrintableTextAndEscapesTheRest() {
        assertEquals("/ac/abc é ✓", CacheServer.printable("/ac/abc é ✓"));
        assertEquals("a\\x0d\\x0ab\\x09\\x7f\\x5c\\u2028\\u202e", CacheServer.printable("a\r\nb\t\u007f\\\u2028\u202e"));
    }
}
