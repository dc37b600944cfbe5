package dev.larder.storage.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.larder.storage.Digest;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.storage.h2.LocalStore;
import dev.larder.storage.trust.RecordKeys;
import dev.larder.storage.trust.SigningKey;
import dev.larder.storage.trust.TrustedKeys;
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
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** larder serve's handling of signed records: kept as they came, refused unsigned under trust keys, signed by its own key. */
class SignedRecordsServerTest {
    @TempDir
    Path dir;
    private LocalStore store;
    private CacheServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private static final byte[] BODY = "an object file".getBytes(UTF_8);
    private static final Digest OUTPUT = Digest.sha256(BODY);
    private static final Digest ACTION = Digest.sha256("action".getBytes(UTF_8));

    private void start(RecordKeys keys) throws Exception {
        store = LocalStore.open(dir.resolve("store"));
        server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), Optional.empty(), false, 1 << 20,
                new PrintStream(new ByteArrayOutputStream(), true, UTF_8), keys);
        assertEquals(201, send("PUT", "/cas/" + OUTPUT, BODY).statusCode(), "the body");
    }

    /** The server as a fresh process would see it: closed and opened again on the same store. */
    private void restart(RecordKeys keys) throws Exception {
        server.close();
        store.close();
        store = LocalStore.open(dir.resolve("store"));
        server = CacheServer.start(store, new InetSocketAddress("127.0.0.1", 0), Optional.empty(), false, 1 << 20,
                new PrintStream(new ByteArrayOutputStream(), true, UTF_8), keys);
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

    private HttpResponse<byte[]> send(String method, String path, byte[] body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(r, HttpResponse.BodyHandlers.ofByteArray());
    }

    private Path key(String name) throws IOException {
        Path f = dir.resolve(name + ".key");
        SigningKey.generate(f, name);
        return f;
    }

    private static TrustedKeys trusting(Path key) throws IOException {
        return TrustedKeys.read(List.of(SigningKey.publicFile(key)));
    }

    private static StoredOutput signed(Path key) throws IOException {
        StoredOutput plain = new StoredOutput(OUTPUT, BODY.length, Instant.parse("2031-01-02T03:04:05.678Z"));
        return plain.signed(SigningKey.read(key).sign(ACTION, plain));
    }

    @Test
    void aSignedRecord_isServedAsItCame_evenAfterARestart() throws Exception {
        Path ci = key("ci");
        start(RecordKeys.NONE);
        byte[] put = ActionResultCodec.encode(signed(ci));
        assertEquals(201, send("PUT", "/ac/" + ACTION, put).statusCode());
        restart(RecordKeys.NONE);
        HttpResponse<byte[]> got = send("GET", "/ac/" + ACTION, null);
        assertEquals(200, got.statusCode());
        StoredOutput served = ActionResultCodec.decode(got.body());
        assertEquals(signed(ci), served, "the record as signed (time and signature)");
        assertTrue(trusting(ci).trusts(ACTION, served), "the served record verifies");
        assertEquals(signed(ci), store.get(ACTION).orElseThrow().record(), "the store's own get hands it on too");
    }

    @Test
    void withTrustKeys_unsignedOrOtherwiseSignedPuts_get403_trustedOnesAreStored() throws Exception {
        Path ci = key("ci");
        Path other = key("other");
        start(new RecordKeys(Optional.empty(), Optional.of(trusting(ci))));
        HttpResponse<byte[]> unsigned = send("PUT", "/ac/" + ACTION,
                ActionResultCodec.encode(new StoredOutput(OUTPUT, BODY.length, Instant.now())));
        assertEquals(403, unsigned.statusCode(), new String(unsigned.body(), UTF_8));
        assertTrue(new String(unsigned.body(), UTF_8).contains("not signed"), new String(unsigned.body(), UTF_8));
        assertEquals(403, send("PUT", "/ac/" + ACTION, ActionResultCodec.encode(signed(other))).statusCode());
        Digest elsewhere = Digest.sha256("another action".getBytes(UTF_8));
        assertEquals(403, send("PUT", "/ac/" + elsewhere, ActionResultCodec.encode(signed(ci))).statusCode(),
                "CI's record of another action, moved");
        assertFalse(store.get(ACTION).isPresent(), "nothing refused was stored");

        assertEquals(201, send("PUT", "/ac/" + ACTION, ActionResultCodec.encode(signed(ci))).statusCode());
        assertEquals(signed(ci), ActionResultCodec.decode(send("GET", "/ac/" + ACTION, null).body()));
    }

    @Test
    void withASigningKey_unsignedPutsAreSignedByTheServer() throws Exception {
        Path server = key("server");
        start(new RecordKeys(Optional.of(SigningKey.read(server)), Optional.empty()));
        assertEquals(201, send("PUT", "/ac/" + ACTION,
                ActionResultCodec.encode(new StoredOutput(OUTPUT, BODY.length, Instant.EPOCH))).statusCode());
        StoredOutput served = ActionResultCodec.decode(send("GET", "/ac/" + ACTION, null).body());
        assertTrue(trusting(server).trusts(ACTION, served), "signed by the server: " + served);
        assertEquals(OUTPUT, served.output());
        assertArrayEquals(BODY, send("GET", "/cas/" + served.output(), null).body());
    }
}
