package dev.larder.storage.tier;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.larder.storage.BackendContext;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.RecordSignature;
import dev.larder.storage.Storage;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.TestClock;
import dev.larder.storage.TierCounters;
import dev.larder.storage.bazel.ActionResultCodec;
import dev.larder.storage.trust.SigningKey;
import dev.larder.storage.trust.TrustedKeys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signed records through a far tier that keeps bytes as they are put (as nginx's WebDAV does),
 * between "machines" that are near stores in temporary directories: one signs, the others trust
 * its key, another key, both keys, or none.
 */
class SignedTiersTest {
    @TempDir
    Path tmp;

    private final TestClock clock = new TestClock(Instant.parse("2031-02-03T04:05:06.5Z"));
    private final List<AutoCloseable> opened = new ArrayList<>();
    /** The far tier's files, by path ("/ac/<hex>", "/cas/<hex>"). */
    private final Map<String, byte[]> remote = new ConcurrentHashMap<>();
    private HttpServer http;

    @BeforeEach
    void startRemote() throws IOException {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", x -> {
            try (x) {
                String path = x.getRequestURI().getPath();
                byte[] body = x.getRequestBody().readAllBytes();
                switch (x.getRequestMethod()) {
                    case "PUT" -> {
                        remote.put(path, body);
                        x.sendResponseHeaders(201, -1);
                    }
                    case "HEAD" -> x.sendResponseHeaders(remote.containsKey(path) ? 200 : 404, -1);
                    default -> {
                        byte[] b = remote.get(path);
                        if (b == null) {
                            x.sendResponseHeaders(404, -1);
                        } else {
                            x.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
                            try (OutputStream out = x.getResponseBody()) {
                                out.write(b);
                            }
                        }
                    }
                }
            }
        });
        http.start();
    }

    @AfterEach
    void closeAll() throws Exception {
        List<AutoCloseable> newestFirst = new ArrayList<>(opened);
        Collections.reverse(newestFirst);
        for (AutoCloseable c : newestFirst) {
            c.close();
        }
        http.stop(0);
    }

    private Path key(String name) throws IOException {
        Path f = tmp.resolve(name + ".key");
        SigningKey.generate(f, name);
        return f;
    }

    private static Optional<TrustedKeys> trusting(Path... keys) throws IOException {
        List<Path> pubs = new ArrayList<>();
        for (Path k : keys) {
            pubs.add(SigningKey.publicFile(k));
        }
        return Optional.of(TrustedKeys.read(pubs));
    }

    /** A machine: its own near store, the shared far tier, these keys. */
    private Storage machine(String name, Optional<Path> signWith, Optional<TrustedKeys> trust) throws IOException {
        Optional<SigningKey> signer = signWith.isPresent() ? Optional.of(SigningKey.read(signWith.get())) : Optional.empty();
        Storage s = Stores.open(List.of(StoreSpec.parse("http://127.0.0.1:" + http.getAddress().getPort())),
                tmp.resolve(name), Stores.providers(getClass().getClassLoader()),
                new BackendContext(Optional.empty(), Duration.ofSeconds(30), clock, Map.of()),
                TierSettings.defaults().withKeys(signer, trust));
        opened.add(s);
        return s;
    }

    private static Digest action(String name) {
        return Digest.sha256(("action " + name).getBytes(UTF_8));
    }

    private static void put(Storage s, Digest action, String body) throws IOException {
        byte[] b = body.getBytes(UTF_8);
        s.put(action, Digest.sha256(b), b.length, new ByteArrayInputStream(b));
        s.flush();
    }

    private static void assertHit(Storage s, Digest action, String body) throws IOException {
        Entry e = s.get(action).orElseThrow(() -> new AssertionError("get " + action + ": a miss, want a hit"));
        assertArrayEquals(body.getBytes(UTF_8), Files.readAllBytes(e.path()), "content of the hit");
    }

    private static void assertUntrustedMiss(Storage s, Digest action, long untrustedSoFar) throws IOException {
        Optional<Entry> e = s.get(action);
        assertTrue(e.isEmpty(), "get " + action + ": got " + e + ", want an untrusted miss");
        TierCounters c = s.counters();
        assertEquals(untrustedSoFar, c.untrusted(), "untrusted in " + c);
        assertEquals(0, c.remoteHits(), "remoteHits in " + c);
        assertEquals(0, c.remoteErrors(), "an untrusted record is a miss, not an error: " + c);
    }

    private StoredOutput remoteRecord(Digest action) {
        return ActionResultCodec.decode(remote.get("/ac/" + action));
    }

    @Test
    void signedByA_trustedByB_hits_andTheRemoteRecordVerifiesWithA() throws IOException {
        Path a = key("a");
        put(machine("a", Optional.of(a), Optional.empty()), action("x"), "built on a");
        StoredOutput record = remoteRecord(action("x"));
        assertTrue(record.signature().isPresent(), "the uploaded record carries a signature: " + record);
        assertEquals(clock.instant(), record.time(), "the signed time is the upload's");
        assertTrue(trusting(a).get().trusts(action("x"), record), "a's key verifies the record as uploaded");

        Storage b = machine("b", Optional.empty(), trusting(a));
        assertHit(b, action("x"), "built on a");
        assertEquals(0, b.counters().untrusted(), "untrusted in " + b.counters());
    }

    @Test
    void trustingAnotherKey_misses_andTheRebuildIsStoredNear() throws IOException {
        Path a = key("a");
        Path other = key("other");
        put(machine("a", Optional.of(a), Optional.empty()), action("x"), "built on a");
        Storage b = machine("b", Optional.empty(), trusting(other));
        assertUntrustedMiss(b, action("x"), 1);
        put(b, action("x"), "rebuilt on b");
        assertHit(b, action("x"), "rebuilt on b");
    }

    @Test
    void rotation_trustingOldAndNew_hitsRecordsOfBoth() throws IOException {
        Path old = key("old");
        Path current = key("new");
        put(machine("ci-old", Optional.of(old), Optional.empty()), action("x"), "signed by old");
        put(machine("ci-new", Optional.of(current), Optional.empty()), action("y"), "signed by new");
        Storage dev = machine("dev", Optional.empty(), trusting(old, current));
        assertHit(dev, action("x"), "signed by old");
        assertHit(dev, action("y"), "signed by new");
    }

    @Test
    void tamperedSignatureByte_orRecordMovedToAnotherAction_isUntrusted() throws IOException {
        Path a = key("a");
        put(machine("a", Optional.of(a), Optional.empty()), action("x"), "built on a");
        StoredOutput r = remoteRecord(action("x"));
        byte[] sig = r.signature().orElseThrow().bytes();
        sig[40] ^= 0x10;
        remote.put("/ac/" + action("tampered"), ActionResultCodec.encode(
                new StoredOutput(r.output(), r.size(), r.time()).signed(RecordSignature.of(sig))));
        remote.put("/ac/" + action("moved"), remote.get("/ac/" + action("x")));

        Storage b = machine("b", Optional.empty(), trusting(a));
        assertUntrustedMiss(b, action("tampered"), 1);
        assertUntrustedMiss(b, action("moved"), 2);
        assertHit(b, action("x"), "built on a");
    }

    @Test
    void unsignedRecords_areUntrustedWithTrustKeys_andUsedWithout() throws IOException {
        Path a = key("a");
        put(machine("unsigned", Optional.empty(), Optional.empty()), action("x"), "from a tool that does not sign");
        assertTrue(remoteRecord(action("x")).signature().isEmpty(), "an unsigning writer's record");

        assertUntrustedMiss(machine("careful", Optional.empty(), trusting(a)), action("x"), 1);
        Storage trusting = machine("trusting", Optional.empty(), Optional.empty());
        assertHit(trusting, action("x"), "from a tool that does not sign");
        assertEquals(0, trusting.counters().untrusted(), "no trust keys: nothing is counted untrusted");
    }

    @Test
    void aForgedRecord_namingAnotherActionsValidBody_isUntrusted() throws IOException {
        Path a = key("a");
        put(machine("a", Optional.of(a), Optional.empty()), action("good"), "the good object file");
        put(machine("attacker", Optional.empty(), Optional.empty()), action("victim"), "whatever");
        // The attacker points the victim action at another action's (valid) body.
        StoredOutput good = remoteRecord(action("good"));
        remote.put("/ac/" + action("victim"), ActionResultCodec.encode(good));
        Storage b = machine("b", Optional.empty(), trusting(a));
        assertUntrustedMiss(b, action("victim"), 1);
        assertFalse(b.get(action("victim")).isPresent(), "still a miss the second time");
    }

    @Test
    void aLocalStoreAsFarTier_keepsSignatures() throws IOException {
        Path a = key("a");
        Path shared = tmp.resolve("shared");
        List<Storage> machines = new ArrayList<>();
        for (String m : List.of("a", "b", "c")) {
            Optional<SigningKey> signer = m.equals("a") ? Optional.of(SigningKey.read(a)) : Optional.empty();
            Optional<TrustedKeys> trust = m.equals("a") ? Optional.empty() : m.equals("b") ? trusting(a) : trusting(key("c"));
            Storage s = Stores.open(List.of(StoreSpec.parse("h2:" + tmp.resolve(m)), StoreSpec.parse("h2:" + shared)),
                    tmp.resolve(m), Stores.providers(getClass().getClassLoader()),
                    new BackendContext(Optional.empty(), Duration.ofSeconds(30), clock, Map.of()),
                    TierSettings.defaults().withKeys(signer, trust));
            opened.add(s);
            machines.add(s);
        }
        put(machines.get(0), action("x"), "built on a");
        assertHit(machines.get(1), action("x"), "built on a");
        assertUntrustedMiss(machines.get(2), action("x"), 1);
        // b copied the trusted record near as it came: b's own store, read as a far tier, still
        // hands it on signed.
        Storage d = Stores.open(List.of(StoreSpec.parse("h2:" + tmp.resolve("d")), StoreSpec.parse("h2:" + tmp.resolve("b"))),
                tmp.resolve("d"), Stores.providers(getClass().getClassLoader()),
                new BackendContext(Optional.empty(), Duration.ofSeconds(30), clock, Map.of()),
                TierSettings.defaults().withKeys(Optional.empty(), trusting(a)));
        opened.add(d);
        assertHit(d, action("x"), "built on a");
    }
}
