package dev.larder.helper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolClient;
import dev.larder.protocol.ProtocolException;
import dev.larder.protocol.Request;
import dev.larder.protocol.Response;
import dev.larder.storage.Digest;
import dev.larder.storage.Storage;
import dev.larder.storage.h2.LocalStore;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CacheHelper#serve} over OS pipes with a real local store: through {@link ProtocolClient}
 * where a well-behaved cmd/go is enough, as raw bytes where the input is malformed or the exact
 * output matters.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a hang guard, not a speed check
class CacheHelperTest {
    private static final Instant NOW = Instant.parse("2031-02-03T04:05:06.789123456Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path storeDir;
    private final InstantSource clock = InstantSource.fixed(NOW);
    private final List<PipedHelper> sessions = new ArrayList<>();

    @BeforeEach
    void paths() {
        storeDir = tmp.resolve("store");
    }

    @AfterEach
    void closeSessions() throws IOException {
        for (PipedHelper s : sessions) {
            s.close();
        }
    }

    private PipedHelper start(CacheHelper.StorageOpener opener, HelperSettings options) throws IOException {
        PipedHelper s = PipedHelper.start(CacheHelper.create(opener, options));
        sessions.add(s);
        return s;
    }

    private PipedHelper start(HelperSettings options) throws IOException {
        return start(() -> LocalStore.open(storeDir, clock), options);
    }

    private PipedHelper start() throws IOException {
        return start(HelperSettings.defaults());
    }

    private static ActionId action(String name) {
        return new ActionId(Digest.sha256(("action " + name).getBytes(UTF_8)).bytes());
    }

    private static OutputId output(byte[] body) {
        return OutputId.of(body);
    }

    private static byte[] text(String s) {
        return s.getBytes(UTF_8);
    }

    /** Regular files in the store that hold output bytes: blobs, and bodies being received. */
    private Set<Path> storedFiles() throws IOException {
        Set<Path> files = new HashSet<>();
        for (String sub : List.of("blobs", "tmp")) {
            Path d = storeDir.resolve(sub);
            if (Files.isDirectory(d)) {
                try (Stream<Path> walk = Files.walk(d)) {
                    files.addAll(walk.filter(Files::isRegularFile).collect(Collectors.toSet()));
                }
            }
        }
        return files;
    }

    /** Checks a hit or put reply: no error, the body's output id and size, a DiskPath with exactly its bytes. */
    private static void assertFound(Response r, byte[] body) throws IOException {
        assertFalse(r.isError(), "reply: got Err " + r.err() + ", want success");
        assertFalse(r.miss(), "reply: got Miss, want a hit");
        assertEquals(output(body), r.outputId(), "OutputID");
        assertEquals(body.length, r.size(), "Size");
        Path p = Path.of(r.diskPath());
        assertTrue(p.isAbsolute(), "DiskPath: got " + p + ", want absolute");
        assertArrayEquals(body, Files.readAllBytes(p), "content of DiskPath " + p);
    }

    private static void assertErr(Response r, long id, String want) {
        assertEquals(id, r.id(), "ID of the Err reply");
        assertTrue(r.isError(), "reply: got " + r + ", want Err");
        assertTrue(r.err().contains(want), "Err: got " + r.err() + ", want it to mention " + want);
    }

    private static void assertMiss(Response r) {
        assertTrue(r.miss() && !r.isError(), "get: got " + r + ", want a miss");
    }

    /** Request and body lines as cmd/go writes them. */
    private static final class Wire {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Wire request(Request r) {
            try {
                buf.writeBytes(JSON.writeValueAsBytes(r));
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
            return line("").line("");
        }

        Wire get(long id, ActionId a) {
            return request(Request.get(id, a));
        }

        Wire put(long id, ActionId a, byte[] body) {
            request(Request.put(id, a, output(body), body.length));
            return body.length == 0 ? this : line("\"" + Base64.getEncoder().encodeToString(body) + "\"");
        }

        Wire close(long id) {
            return request(Request.close(id));
        }

        /** One line: {@code text} and a newline. */
        Wire line(String text) {
            buf.writeBytes(text(text));
            buf.write('\n');
            return this;
        }

        Wire raw(String text) {
            buf.writeBytes(text(text));
            return this;
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }

    private static Map<Long, JsonNode> byId(List<JsonNode> replies) {
        Map<Long, JsonNode> m = new TreeMap<>();
        for (JsonNode r : replies) {
            JsonNode earlier = m.put(r.get("ID").asLong(), r);
            assertTrue(earlier == null, "replies for ID " + r.get("ID") + ": got " + earlier + " and " + r + ", want one");
        }
        return m;
    }

    @Test
    void serve_firstLine_isHandshakeListingGetPutClose() throws Exception {
        assertHandshakeThenClose(start(), "{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}");
    }

    @Test
    void serve_readOnly_handshakeListsGetAndClose() throws Exception {
        assertHandshakeThenClose(start(HelperSettings.defaults().withReadOnly(true)),
                "{\"ID\":0,\"KnownCommands\":[\"get\",\"close\"]}");
    }

    /** The first line is {@code handshake}; a close is then answered and the session ends. */
    private static void assertHandshakeThenClose(PipedHelper s, String handshake) throws Exception {
        assertEquals(JSON.readTree(handshake), s.readResponse(), "first line");
        s.feed(new Wire().close(1).bytes(), false);
        assertEquals(List.of(JSON.readTree("{\"ID\":1}")), s.readToEnd(), "replies after the handshake");
        s.served().get();
    }

    @Test
    void serve_storeOpenerBlocked_handshakeArrivesFirst() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        PipedHelper s = start(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new InterruptedIOException("opener interrupted");
            }
            return LocalStore.open(storeDir, clock);
        }, HelperSettings.defaults());
        try (ProtocolClient c = s.client()) {
            assertEquals(List.of("get", "put", "close"), c.knownCommands(), "handshake commands");
            CompletableFuture<Response> get = c.get(action("a"));
            assertFalse(get.isDone(), "get before the store opened: got answered " + get.getNow(null)
                    + ", want waiting");
            release.countDown();
            assertMiss(get.get());
        }
        s.served().get();
    }

    @Test
    void get_unknownAction_isMiss() throws Exception {
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            assertMiss(c.get(action("never put")).get());
        }
        s.served().get();
    }

    @Test
    void get_afterPut_isHitWithDiskPathHoldingTheBytes() throws Exception {
        byte[] body = new byte[70_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + i / 256);
        }
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            assertFound(c.put(action("a"), body).get(), body);
            Response got = c.get(action("a")).get();
            assertFound(got, body);
            assertEquals(NOW, got.time(), "Time of the hit");
        }
        s.served().get();
    }

    @Test
    void put_shaMismatch_isErrAndStoresNothing() throws Exception {
        byte[] body = text("what arrives");
        OutputId promised = output(text("what was promised"));
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            long id = c.newId();
            Response r = c.send(Request.put(id, action("a"), promised, body.length), new ByteArrayInputStream(body)).get();
            assertErr(r, id, promised.toString());
            assertMiss(c.get(action("a")).get());
        }
        s.served().get();
        assertEquals(Set.of(), storedFiles(), "files in the store");
    }

    @Test
    void put_sizeMismatch_isErrAndSessionGoesOn() throws Exception {
        byte[] body = text("twenty-odd bytes of body");
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            long shorter = c.newId();
            Response r = c.send(Request.put(shorter, action("a"), output(body), body.length + 5),
                    new ByteArrayInputStream(body)).get();
            assertErr(r, shorter, "declared " + (body.length + 5));
            long longer = c.newId();
            r = c.send(Request.put(longer, action("a"), output(body), body.length - 3),
                    new ByteArrayInputStream(body)).get();
            assertErr(r, longer, String.valueOf(body.length - 3));
            assertMiss(c.get(action("a")).get());
            assertFound(c.put(action("a"), body).get(), body);
        }
        s.served().get();
    }

    @Test
    void put_legacyObjectIdOnly_isStored() throws Exception {
        byte[] body = text("from go 1.22 with GOEXPERIMENT=cacheprog");
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            Request legacy = new Request(c.newId(), Request.PUT, action("a").bytes(), null, body.length,
                    output(body).bytes());
            assertFound(c.send(legacy, new ByteArrayInputStream(body)).get(), body);
            assertFound(c.get(action("a")).get(), body);
        }
        s.served().get();
    }

    @Test
    void put_emptyBody_isStoredWithoutBodyLine() throws Exception {
        PipedHelper s = start();
        s.readResponse();
        // Go omits BodySize 0 and writes no body line: the get must be read as the next request.
        String emptyPut = "{\"ID\":1,\"Command\":\"put\",\"ActionID\":\""
                + Base64.getEncoder().encodeToString(action("empty").bytes()) + "\",\"OutputID\":\""
                + Base64.getEncoder().encodeToString(output(new byte[0]).bytes()) + "\"}";
        s.feed(new Wire().line(emptyPut).line("").get(2, action("other")).bytes(), false);
        Map<Long, JsonNode> first = byId(List.of(s.readResponse(), s.readResponse()));
        assertEquals(Set.of(1L, 2L), first.keySet(), "IDs answered");
        assertFalse(first.get(1L).has("Err"), "put reply: got " + first.get(1L) + ", want success");
        Path p = Path.of(first.get(1L).get("DiskPath").asText());
        assertEquals(0, Files.size(p), "size of the put's DiskPath " + p);
        assertTrue(first.get(2L).path("Miss").asBoolean(), "get reply: got " + first.get(2L) + ", want a miss");

        s.feed(new Wire().get(3, action("empty")).close(4).bytes(), false);
        Map<Long, JsonNode> rest = byId(s.readToEnd());
        JsonNode hit = rest.get(3L);
        assertFalse(hit.has("Miss") || hit.has("Err"), "get after the empty put: got " + hit + ", want a hit");
        assertArrayEquals(output(new byte[0]).bytes(), hit.get("OutputID").binaryValue(), "OutputID of the hit");
        assertEquals(0, Files.size(Path.of(hit.get("DiskPath").asText())), "size of the hit's DiskPath");
        s.served().get();
    }

    @Test
    void serve_unknownCommand_isErrWithItsIdAndSessionGoesOn() throws Exception {
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            long id = c.newId();
            Response r = c.send(new Request(id, "frobnicate", action("a").bytes(), null, 0, null), null).get();
            assertErr(r, id, "frobnicate");
            assertMiss(c.get(action("a")).get());
        }
        s.served().get();
    }

    @Test
    void get_actionIdOfWrongLength_isErrWithItsId() throws Exception {
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            long id = c.newId();
            Response r = c.send(new Request(id, Request.GET, new byte[5], null, 0, null), null).get();
            assertErr(r, id, "5 bytes");
            assertMiss(c.get(action("a")).get());
        }
        s.served().get();
    }

    @Test
    void put_actionIdOfWrongLength_isErrAndBodyIsSkipped() throws Exception {
        byte[] body = text("a body that must be skipped, not read as the next request");
        PipedHelper s = start();
        try (ProtocolClient c = s.client()) {
            long id = c.newId();
            Request bad = new Request(id, Request.PUT, new byte[31], output(body).bytes(), body.length, null);
            assertErr(c.send(bad, new ByteArrayInputStream(body)).get(), id, "31 bytes");
            assertMiss(c.get(action("a")).get());
        }
        s.served().get();
        assertEquals(Set.of(), storedFiles(), "files in the store");
    }

    @Test
    void put_readOnly_isErrAndBodyIsSkipped() throws Exception {
        byte[] body = text("refused");
        PipedHelper s = start(HelperSettings.defaults().withReadOnly(true));
        try (ProtocolClient c = s.client()) {
            long id = c.newId();
            Response r = c.send(Request.put(id, action("a"), output(body), body.length),
                    new ByteArrayInputStream(body)).get();
            assertErr(r, id, "read-only");
            assertMiss(c.get(action("a")).get());
        }
        s.served().get();
        assertEquals(Set.of(), storedFiles(), "files in the store");
    }

    @Test
    void serve_200PipelinedRequests_eachAnsweredOnceWithItsId() throws Exception {
        assert200PipelinedRequestsAnswered(HelperSettings.defaults());
    }

    /** With one request in flight at a time the reader waits for each reply, and still serves all. */
    @Test
    void serve_maxInFlightOne_200PipelinedRequestsEachAnsweredOnce() throws Exception {
        assert200PipelinedRequestsAnswered(HelperSettings.defaults().withMaxInFlight(1));
    }

    /** Puts and gets, alternating, written back to back: each answered once, correctly, then close. */
    private void assert200PipelinedRequestsAnswered(HelperSettings settings) throws Exception {
        int requests = 200;
        try (Storage seed = LocalStore.open(storeDir, clock)) {
            for (int id = 2; id <= requests; id += 2) {
                byte[] body = text("seeded output " + id);
                seed.put(Digest.sha256(text("action g" + id)), Digest.sha256(body), body.length,
                        new ByteArrayInputStream(body));
            }
        }
        Wire w = new Wire();
        Map<Long, OutputId> want = new HashMap<>();
        for (int id = 1; id <= requests; id++) {
            if (id % 2 == 1) {
                byte[] body = text("put output " + id + " " + "x".repeat(id));
                w.put(id, action("p" + id), body);
                want.put((long) id, output(body));
            } else {
                w.get(id, action("g" + id));
                want.put((long) id, output(text("seeded output " + id)));
            }
        }
        long closeId = requests + 1;
        w.close(closeId);
        PipedHelper s = start(settings);
        s.feed(w.bytes(), false);
        List<JsonNode> replies = s.readToEnd();
        assertEquals(0, replies.get(0).get("ID").asLong(), "ID of the first line");
        assertEquals(closeId, replies.get(replies.size() - 1).get("ID").asLong(), "ID of the last line");
        Map<Long, JsonNode> answered = byId(replies.subList(1, replies.size() - 1));
        assertEquals(want.keySet(), answered.keySet(), "IDs answered");
        for (Map.Entry<Long, JsonNode> e : answered.entrySet()) {
            JsonNode r = e.getValue();
            assertFalse(r.has("Err") || r.has("Miss"), "reply: got " + r + ", want success");
            assertArrayEquals(want.get(e.getKey()).bytes(), r.get("OutputID").binaryValue(),
                    "OutputID of the reply to " + e.getKey());
        }
        s.served().get();
    }

    /**
     * The review's finding: 310k gets written back to back exhausted a 64 MiB heap, queued
     * without bound. A real child process with that heap answers hundreds of thousands of them,
     * written as fast as the pipe takes them while this thread reads the replies (as cmd/go
     * writes and reads on separate goroutines).
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard for 300k requests on a busy machine
    void serve_300kGetsBackToBackIn64MiBHeap_eachAnsweredOnce() throws Exception {
        int requests = 300_000;
        int seeded = 64;
        List<OutputId> outputs = new ArrayList<>();
        try (Storage seed = LocalStore.open(storeDir, clock)) {
            for (int i = 0; i < seeded; i++) {
                byte[] body = text("seeded output " + i);
                seed.put(new Digest(action("h" + i).bytes()), Digest.sha256(body), body.length,
                        new ByteArrayInputStream(body));
                outputs.add(output(body));
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError",
                "-cp", System.getProperty("java.class.path"), ChildCacheHelper.class.getName(), storeDir.toString())
                .redirectError(tmp.resolve("child.err").toFile())
                .start();
        try {
            // Every tenth get is a hit (on one of the seeded actions), the others misses.
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 64 * 1024)) {
                    for (int id = 1; id <= requests; id++) {
                        ActionId a = id % 10 == 0 ? action("h" + (id / 10) % seeded) : action("m" + id);
                        out.write(JSON.writeValueAsBytes(Request.get(id, a)));
                        out.write(text("\n\n"));
                    }
                    out.write(JSON.writeValueAsBytes(Request.close(requests + 1)));
                    out.write(text("\n\n"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            BitSet answered = new BitSet(requests + 2);
            long last = -1;
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(p.getInputStream(), UTF_8))) {
                assertEquals(0, JSON.readTree(in.readLine()).get("ID").asLong(), "ID of the handshake");
                for (String line; (line = in.readLine()) != null; ) {
                    // The JVM writes "Terminating due to java.lang.OutOfMemoryError" to stdout.
                    assertTrue(line.startsWith("{"), "helper output: got " + line + ", want a reply");
                    JsonNode r = JSON.readTree(line);
                    long id = r.get("ID").asLong();
                    assertTrue(id >= 1 && id <= requests + 1 && !answered.get((int) id),
                            "reply " + line + ": got an ID unasked for or answered twice");
                    answered.set((int) id);
                    last = id;
                    if (id > requests) {
                        continue;
                    }
                    assertFalse(r.has("Err"), "reply " + line + ": got Err, want a hit or a miss");
                    if (id % 10 == 0) {
                        assertArrayEquals(outputs.get((int) (id / 10) % seeded).bytes(), r.get("OutputID").binaryValue(),
                                "OutputID of the hit " + line);
                    } else {
                        assertTrue(r.path("Miss").asBoolean(), "reply " + line + ": got a hit, want a miss");
                    }
                }
            }
            written.get(PipedHelper.HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
            assertTrue(p.waitFor(PipedHelper.HANG_GUARD.toSeconds(), TimeUnit.SECONDS), "child helper: got running, want exited");
            assertEquals(0, p.exitValue(), "exit status of the child helper; its stderr: "
                    + Files.readString(tmp.resolve("child.err")));
            assertEquals(requests + 1, answered.cardinality(), "requests answered");
            assertEquals(requests + 1, last, "ID of the last reply: the close's");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void close_repliesThenEndsOutputAndServeReturns() throws Exception {
        PipedHelper s = start();
        s.readResponse();
        s.feed(new Wire().close(7).bytes(), false);
        assertEquals(JSON.readTree("{\"ID\":7}"), s.readResponse(), "reply to close");
        assertEquals(-1, s.output().read(), "next byte after the close reply");
        s.served().get();
    }

    @Test
    void serve_endOfInputWithoutClose_answersInFlightAndReturns() throws Exception {
        byte[] body = text("put just before the end of input");
        PipedHelper s = start();
        s.feed(new Wire().put(1, action("a"), body).get(2, action("b")).bytes(), true);
        Map<Long, JsonNode> replies = byId(s.readToEnd());
        assertEquals(Set.of(0L, 1L, 2L), replies.keySet(), "IDs answered");
        s.served().get();

        PipedHelper again = start();
        try (ProtocolClient c = again.client()) {
            assertFound(c.get(action("a")).get(), body);
        }
        again.served().get();
    }

    @Test
    void serve_brokenJson_throwsAfterAnsweringEarlierRequests() throws Exception {
        byte[] body = text("stored before the bad line");
        PipedHelper s = start();
        s.feed(new Wire().get(1, action("b")).put(2, action("a"), body).line("{\"ID\":3,\"Command\":").bytes(), false);
        Map<Long, JsonNode> replies = byId(s.readToEnd());
        assertEquals(Set.of(0L, 1L, 2L), replies.keySet(), "IDs answered");
        assertFalse(replies.get(2L).has("Err"), "put reply: got " + replies.get(2L) + ", want success");
        ExecutionException e = assertThrows(ExecutionException.class, () -> s.served().get());
        assertTrue(e.getCause() instanceof ProtocolException && e.getCause().getMessage().contains("not a JSON request"),
                "serve threw " + e.getCause() + ", want a ProtocolException about the bad line");
    }

    /**
     * The review's finding: a request without an ID was answered as ID 0 (the handshake's), and
     * {@code 1.9} or {@code "12"} were taken as IDs. cmd/go numbers its requests from 1 as
     * int64s: anything else cannot be answered, and ends the session as a line that is not JSON does.
     */
    @Test
    void serve_idMissingOrNotAnInteger_endsSessionWithoutAReplyToIt() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(action("a").bytes());
        for (String id : new String[] {null, "1.9", "\"12\"", "0", "-2"}) {
            String bad = "{" + (id == null ? "" : "\"ID\":" + id + ",") + "\"Command\":\"get\",\"ActionID\":\"" + b64 + "\"}";
            PipedHelper s = start();
            s.feed(new Wire().get(1, action("b")).line(bad).line("").get(3, action("c")).bytes(), false);
            List<JsonNode> replies = s.readToEnd();
            assertEquals(List.of(0L, 1L), replies.stream().map(r -> r.get("ID").asLong()).toList(),
                    "IDs answered (the handshake, the get before) for " + bad);
            assertEquals(JSON.readTree("{\"ID\":0,\"KnownCommands\":[\"get\",\"put\",\"close\"]}"), replies.get(0),
                    "the one line with ID 0");
            ExecutionException e = assertThrows(ExecutionException.class, () -> s.served().get(), bad);
            assertTrue(e.getCause() instanceof ProtocolException && e.getCause().getMessage().contains("ID"),
                    "serve threw " + e.getCause() + ", want a ProtocolException about the ID of " + bad);
        }
    }

    @Test
    void put_negativeBodySize_isErrWithItsIdAndSessionGoesOn() throws Exception {
        PipedHelper s = start();
        s.readResponse();
        Request put = new Request(1, Request.PUT, action("a").bytes(), output(new byte[0]).bytes(), -5, null);
        s.feed(new Wire().request(put).get(2, action("a")).close(3).bytes(), false);
        Map<Long, JsonNode> replies = byId(s.readToEnd());
        assertEquals(Set.of(1L, 2L, 3L), replies.keySet(), "IDs answered");
        assertTrue(replies.get(1L).path("Err").asText().contains("BodySize: got -5"),
                "put reply: got " + replies.get(1L) + ", want Err about BodySize");
        assertTrue(replies.get(2L).path("Miss").asBoolean(), "get after the refused put: got " + replies.get(2L)
                + ", want a miss");
        s.served().get();
    }

    @Test
    void serve_brokenJsonWithStatsJson_statsStillWritten() throws Exception {
        Path stats = tmp.resolve("stats.json");
        PipedHelper s = start(HelperSettings.defaults().withStatsJson(stats));
        s.feed(new Wire().get(1, action("b")).line("{\"ID\":2,\"Command\":").bytes(), false);
        s.readToEnd();
        assertThrows(ExecutionException.class, () -> s.served().get());
        HelperStats got = JSON.readValue(stats.toFile(), HelperStats.class);
        assertEquals(1, got.gets(), "gets in " + got);
        assertEquals(1, got.misses(), "misses in " + got);
    }

    @Test
    void serve_bodyCutMidway_throwsAndStoresNothing() throws Exception {
        byte[] body = text("a body whose line the input cuts short");
        String b64 = Base64.getEncoder().encodeToString(body);
        assertTruncatedPutStoresNothing(body, "\"" + b64.substring(0, b64.length() / 2));
    }

    @Test
    void serve_bodyWithoutClosingQuote_throwsAndStoresNothing() throws Exception {
        byte[] body = text("every byte arrives, the closing quote does not");
        assertTruncatedPutStoresNothing(body, "\"" + Base64.getEncoder().encodeToString(body));
    }

    private void assertTruncatedPutStoresNothing(byte[] body, String truncatedBodyLine) throws Exception {
        PipedHelper s = start();
        s.feed(new Wire().request(Request.put(1, action("a"), output(body), body.length))
                .raw(truncatedBodyLine).bytes(), true);
        List<JsonNode> replies = s.readToEnd();
        assertEquals(1, replies.size(), "lines written (the handshake only): got " + replies);
        ExecutionException e = assertThrows(ExecutionException.class, () -> s.served().get());
        assertTrue(e.getCause() instanceof ProtocolException && e.getCause().getMessage().contains("put body"),
                "serve threw " + e.getCause() + ", want a ProtocolException about the body");
        assertEquals(Set.of(), storedFiles(), "files in the store");

        PipedHelper again = start();
        try (ProtocolClient c = again.client()) {
            assertMiss(c.get(action("a")).get());
        }
        again.served().get();
    }

    @Test
    void serve_storeFailsToOpen_answersErrAndCloses() throws Exception {
        PipedHelper s = start(() -> {
            throw new IOException("injected: no space left on device");
        }, HelperSettings.defaults());
        try (ProtocolClient c = s.client()) {
            long get = c.newId();
            assertErr(c.send(Request.get(get, action("a")), null).get(), get, "no space left on device");
            byte[] body = text("nowhere to go");
            long put = c.newId();
            Response r = c.send(Request.put(put, action("a"), output(body), body.length),
                    new ByteArrayInputStream(body)).get();
            assertErr(r, put, "no space left on device");
        }
        s.served().get();
    }

    @Test
    void close_withStatsJson_statsWrittenBeforeCloseReply() throws Exception {
        Path stats = tmp.resolve("stats/session.json");
        PipedHelper s = start(HelperSettings.defaults().withStatsJson(stats));
        byte[] hello = text("hello");
        byte[] bad = text("bad");
        s.feed(new Wire()
                .get(1, action("b"))
                .put(2, action("a"), hello)
                .get(3, action("a"))
                .request(new Request(4, "nope", null, null, 0, null))
                .request(Request.put(5, action("c"), output(text("not bad")), bad.length))
                .line("\"" + Base64.getEncoder().encodeToString(bad) + "\"")
                .close(6)
                .bytes(), false);
        List<JsonNode> replies = new ArrayList<>();
        do {
            replies.add(s.readResponse());
        } while (replies.get(replies.size() - 1).get("ID").asLong() != 6);
        assertTrue(Files.exists(stats), "stats file when the close reply arrived: got none, want " + stats);
        assertEquals(List.of(), s.readToEnd(), "lines after the close reply");
        s.served().get();

        Map<Long, JsonNode> byId = byId(replies);
        assertTrue(byId.get(1L).path("Miss").asBoolean(), "get 1: got " + byId.get(1L) + ", want a miss");
        assertFalse(byId.get(3L).has("Miss"), "get 3: got " + byId.get(3L) + ", want a hit");
        HelperStats got = JSON.readValue(stats.toFile(), HelperStats.class);
        assertEquals(List.of(2L, 1L, 1L, 1L, 5L, 5L, 2L), List.of(got.gets(), got.hits(), got.misses(), got.puts(),
                got.putBytes(), got.hitBytes(), got.errors()),
                "gets, hits, misses, puts, putBytes, hitBytes, errors in " + got);
        assertFalse(got.readOnly(), "readOnly in " + got + ": got true, want false");
    }
}
