package dev.larder.storage.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.storage.h2.LocalStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** larder's cache server over real HTTP on loopback, with the JDK's client. */
class CacheServerTest {
    @TempDir
    Path dir;
    private LocalStore store;
    private CacheServer server;
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final HttpClient http = HttpClient.newHttpClient();

    private void start(Optional<String> token, boolean readOnly, long maxBody) throws IOException {
        store = LocalStore.open(dir.resolve("store"));
        server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), token, readOnly, maxBody,
                new PrintStream(log, true, UTF_8));
    }

    private void start() throws IOException {
        start(Optional.empty(), false, 1 << 20);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    @Test
    void putCasThenAc_getBothBack() throws Exception {
        start();
        byte[] body = "an output".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        assertEquals(201, send("PUT", "/cas/" + out, body).statusCode());
        byte[] record = ActionResultCodec.encode(new StoredOutput(out, body.length, Instant.EPOCH));
        assertEquals(201, send("PUT", "/ac/" + action("a"), record).statusCode());

        HttpResponse<byte[]> blob = send("GET", "/cas/" + out, null);
        assertEquals(200, blob.statusCode());
        assertArrayEquals(body, blob.body());
        HttpResponse<byte[]> ac = send("GET", "/ac/" + action("a"), null);
        assertEquals(200, ac.statusCode());
        StoredOutput got = ActionResultCodec.decode(ac.body());
        assertEquals(out, got.output());
        assertEquals(body.length, got.size());
        assertTrue(!got.time().equals(Instant.EPOCH), "time: got " + got.time() + ", want the put time");
        assertEquals(200, send("HEAD", "/cas/" + out, null).statusCode());
        assertTrue(log.toString(UTF_8).contains("GET /cas/" + out + " 200 9 bytes"), log.toString(UTF_8));
    }

    @Test
    void unknownKeys_are404() throws Exception {
        start();
        assertEquals(404, send("GET", "/cas/" + Digest.sha256(new byte[] {1}), null).statusCode());
        assertEquals(404, send("GET", "/ac/" + action("none"), null).statusCode());
        assertEquals(404, send("HEAD", "/ac/" + action("none"), null).statusCode());
        assertEquals(404, send("GET", "/cas/ABC", null).statusCode());
        assertEquals(405, send("DELETE", "/cas/" + Digest.sha256(new byte[] {1}), null).statusCode());
    }

    @Test
    void casBodyNotHashingToItsKey_isRefusedAndNotServed() throws Exception {
        start();
        Digest claimed = Digest.sha256("the real one".getBytes(UTF_8));
        HttpResponse<byte[]> r = send("PUT", "/cas/" + claimed, "a forgery".getBytes(UTF_8));
        assertEquals(400, r.statusCode());
        assertTrue(new String(r.body(), UTF_8).contains("sha256"), new String(r.body(), UTF_8));
        assertEquals(404, send("GET", "/cas/" + claimed, null).statusCode());
    }

    @Test
    void acNamingAMissingBlob_orMalformed_isRefused() throws Exception {
        start();
        Digest missing = Digest.sha256("never uploaded".getBytes(UTF_8));
        byte[] record = ActionResultCodec.encode(new StoredOutput(missing, 14, Instant.EPOCH));
        assertEquals(400, send("PUT", "/ac/" + action("a"), record).statusCode());
        assertEquals(400, send("PUT", "/ac/" + action("b"), "not a protobuf".getBytes(UTF_8)).statusCode());
        assertEquals(404, send("GET", "/ac/" + action("a"), null).statusCode());
    }

    @Test
    void token_requiredForPutsOnly() throws Exception {
        start(Optional.of("s3cret"), false, 1 << 20);
        byte[] body = "guarded".getBytes(UTF_8);
        Digest out = Digest.sha256(body);
        assertEquals(401, send("PUT", "/cas/" + out, body).statusCode());
        assertEquals(401, send("PUT", "/cas/" + out, body, "Authorization", "Bearer wrong").statusCode());
        assertEquals(201, send("PUT", "/cas/" + out, body, "Authorization", "Bearer s3cret").statusCode());
        assertEquals(200, send("GET", "/cas/" + out, null).statusCode());
    }

    @Test
    void readOnly_refusesPuts() throws Exception {
        start(Optional.empty(), true, 1 << 20);
        byte[] body = "refused".getBytes(UTF_8);
        assertEquals(403, send("PUT", "/cas/" + Digest.sha256(body), body).statusCode());
    }

    @Test
    void bodyOverTheLimit_is413() throws Exception {
        start(Optional.empty(), false, 100);
        byte[] body = new byte[101];
        assertEquals(413, send("PUT", "/cas/" + Digest.sha256(body), body).statusCode());
    }

    @Test
    void manyClientsAtOnce_allServed() throws Exception {
        start();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int n = i;
            results.add(pool.submit(() -> {
                byte[] body = ("body " + n).repeat(100).getBytes(UTF_8);
                Digest out = Digest.sha256(body);
                boolean ok = send("PUT", "/cas/" + out, body).statusCode() == 201;
                ok &= send("PUT", "/ac/" + action("m" + n), ActionResultCodec.encode(new StoredOutput(out, body.length, Instant.EPOCH))).statusCode() == 201;
                HttpResponse<byte[]> back = send("GET", "/cas/" + out, null);
                return ok && back.statusCode() == 200 && java.util.Arrays.equals(body, back.body());
            }));
        }
        for (Future<Boolean> f : results) {
            assertTrue(f.get());
        }
        pool.shutdown();
    }
}
