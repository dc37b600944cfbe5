package dev.larder.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ProtocolClientTest {
    /** Generous bound for things that should happen at once; only there so a bug cannot hang the build. */
    private static final Duration HANDSHAKE = Duration.ofSeconds(60);
    private static final long WAIT_SECONDS = 60;
    /** A short handshake timeout for helpers that never handshake; a timeout, not a timing check. */
    private static final Duration SHORT = Duration.ofMillis(500);

    @TempDir
    Path tmp;

    @Test
    void connect_handshake_exposesKnownCommands() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.write(Response.handshake(List.of("get", "put", "close", "x-stat")));
            s.answerCloseThenAwaitEof();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            assertEquals(List.of("get", "put", "close", "x-stat"), client.knownCommands(), "knownCommands()");
            assertTrue(client.supports("x-stat"), "supports(x-stat)");
            assertFalse(client.supports("delete"), "supports(delete)");
            assertEquals(Optional.empty(), client.process(), "process() of a connected client");
            assertEquals(Optional.empty(), client.exitStatus(), "exitStatus() of a connected client");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void close_helperWithoutClose_sendsNothingAndEndsInput() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.write(Response.closed(0));
            RequestReader.Incoming in = s.next();
            if (in != null) {
                throw new IllegalStateException("got " + in.request() + ", want end of input");
            }
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);
            assertEquals(List.of(), client.knownCommands(), "knownCommands() of a handshake without any");

            client.close();

            helper.awaitFinished();
            assertEquals("", helper.received(), "bytes sent to a helper that does not know close");
        }
    }

    @Test
    void get_manyInFlightAnsweredInReverse_matchedById() throws Exception {
        int count = 100;
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            List<Request> requests = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                requests.add(s.next().request());
            }
            Collections.reverse(requests);
            for (Request r : requests) {
                int n = r.actionId().bytes()[0] & 0xff;
                s.write(n % 4 == 0 ? Response.miss(r.id())
                        : Response.found(r.id(), new OutputId(r.actionId().bytes()), n, null, "/c/" + n));
            }
            s.answerCloseThenAwaitEof();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);
            List<CompletableFuture<Response>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                futures.add(client.get(action(i)));
            }

            for (int i = 0; i < count; i++) {
                Response r = futures.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
                if (i % 4 == 0) {
                    assertTrue(r.miss(), "request " + i + ": got " + r + ", want a miss");
                } else {
                    assertFalse(r.miss(), "request " + i + ": got " + r + ", want a hit");
                    assertArrayEquals(action(i).bytes(), r.outputId().bytes(), "request " + i + ": OutputID");
                    assertEquals(i, r.size(), "request " + i + ": Size");
                    assertEquals("/c/" + i, r.diskPath(), "request " + i + ": DiskPath");
                }
            }
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void put_largeStream_arrivesByteIdentical() throws Exception {
        byte[] body = PutBodyTest.randomBytes((1 << 20) + 1, 99);
        for (int i = 0; i < 256; i++) {
            body[i] = (byte) i;
        }
        CompletableFuture<byte[]> received = new CompletableFuture<>();
        try (PipeHelper helper = PipeHelper.start(storesOnePut(new CompletableFuture<>(), received, 4093))) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            Response r = client.put(action(1), OutputId.of(body), body.length, new ByteArrayInputStream(body))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);

            assertEquals(body.length, r.size(), "Size the helper decoded");
            assertArrayEquals(body, received.get(WAIT_SECONDS, TimeUnit.SECONDS), "body the helper decoded");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void put_byteArray_sendsSha256OutputId() throws Exception {
        byte[] body = "hello, cache".getBytes(StandardCharsets.UTF_8);
        CompletableFuture<Request> seen = new CompletableFuture<>();
        CompletableFuture<byte[]> seenBody = new CompletableFuture<>();
        try (PipeHelper helper = PipeHelper.start(storesOnePut(seen, seenBody, 5))) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            Response r = client.put(action(2), body).get(WAIT_SECONDS, TimeUnit.SECONDS);

            OutputId want = OutputId.of(body);
            Request put = seen.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertEquals(Request.PUT, put.command(), "Command");
            assertEquals(action(2), put.actionId(), "ActionID");
            assertEquals(want, put.outputId(), "OutputID");
            assertArrayEquals(put.rawOutputId(), put.rawObjectId(), "legacy ObjectID must equal OutputID");
            assertEquals(body.length, put.bodySize(), "BodySize");
            assertArrayEquals(body, seenBody.get(WAIT_SECONDS, TimeUnit.SECONDS), "body");
            assertEquals(want, r.outputId(), "OutputID of the reply");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void put_file_sendsContentAndSha256() throws Exception {
        byte[] content = PutBodyTest.randomBytes(300_001, 5);
        Path file = Files.write(tmp.resolve("output"), content);
        CompletableFuture<Request> seen = new CompletableFuture<>();
        CompletableFuture<byte[]> seenBody = new CompletableFuture<>();
        try (PipeHelper helper = PipeHelper.start(storesOnePut(seen, seenBody, 65536))) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            client.put(action(3), file).get(WAIT_SECONDS, TimeUnit.SECONDS);

            assertEquals(OutputId.of(content), seen.get(WAIT_SECONDS, TimeUnit.SECONDS).outputId(), "OutputID");
            assertEquals(content.length, seen.get().bodySize(), "BodySize");
            assertArrayEquals(content, seenBody.get(WAIT_SECONDS, TimeUnit.SECONDS), "body");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void put_emptyBody_sendsNoBodyLine() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            RequestReader.Incoming put = s.next();
            if (put.body() != null || put.request().bodySize() != 0) {
                throw new IllegalStateException("got " + put.request() + " with a body, want an empty put");
            }
            s.write(Response.found(put.request().id(), put.request().outputId(), 0, null, null));
            RequestReader.Incoming get = s.next();
            s.write(Response.miss(get.request().id()));
            s.answerCloseThenAwaitEof();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            Response put = client.put(action(4), new byte[0]).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response get = client.get(action(5)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            client.close();
            helper.awaitFinished();

            assertEquals(OutputId.of(new byte[0]), put.outputId(), "OutputID of the empty output");
            assertTrue(get.miss(), "got " + get + ", want a miss");
            String want = Json.MAPPER.writeValueAsString(Request.put(1, action(4), OutputId.of(new byte[0]), 0))
                    + "\n\n" + Json.MAPPER.writeValueAsString(Request.get(2, action(5)))
                    + "\n\n" + Json.MAPPER.writeValueAsString(Request.close(3)) + "\n\n";
            assertEquals(want, helper.received(), "bytes on the wire");
        }
    }

    @Test
    void send_framesBodyAsCmdGoDoes() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            RequestReader.Incoming in = s.next();
            in.body().close();
            s.write(Response.found(in.request().id(), in.request().outputId(), 3, null, null));
            s.answerCloseThenAwaitEof();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            client.put(action(6), "abc".getBytes(StandardCharsets.US_ASCII)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            client.close();
            helper.awaitFinished();

            String put = Json.MAPPER.writeValueAsString(Request.put(1, action(6),
                    OutputId.fromHex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), 3));
            assertEquals(put + "\n\n\"YWJj\"\n" + Json.MAPPER.writeValueAsString(Request.close(2)) + "\n\n",
                    helper.received(), "bytes on the wire");
        }
    }

    @Test
    void send_idAlreadyInFlight_failsWithoutSending() throws Exception {
        // The helper answers the first request only once the second was tried: ID 100 is in flight then.
        java.util.concurrent.CountDownLatch tried = new java.util.concurrent.CountDownLatch(1);
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            RequestReader.Incoming in = s.next();
            try {
                tried.await(WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            s.write(Response.miss(in.request().id()));
            s.answerCloseThenAwaitEof();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);
            CompletableFuture<Response> first = client.send(Request.get(100, action(7)), null);

            CompletableFuture<Response> second = client.send(Request.get(100, action(8)), null);
            tried.countDown();

            assertInstanceOf(IllegalArgumentException.class, causeOf(second), "second send with ID 100");
            assertTrue(first.get(WAIT_SECONDS, TimeUnit.SECONDS).miss(), "first request answered");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void readLoop_unknownResponseId_failsPendingRequests() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            for (int i = 0; i < 3; i++) {
                s.next();
            }
            s.write(Response.miss(999));
            s.readToEnd();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);
            List<CompletableFuture<Response>> futures = List.of(
                    client.get(action(1)), client.get(action(2)), client.get(action(3)));

            for (CompletableFuture<Response> f : futures) {
                Throwable cause = causeOf(f);
                assertInstanceOf(ProtocolException.class, cause, "failure of a pending request");
                assertMessage(cause, "response for ID 999, which is not in flight");
            }
            Throwable later = causeOf(client.get(action(4)));
            assertInstanceOf(IOException.class, later, "failure of a request sent after the break");
            assertMessage(later, "helper connection is broken");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void readLoop_brokenJsonLine_failsPendingRequests() throws Exception {
        assertLineFailsPendingRequest("{\"ID\":1,\"Miss\":tru\n", "not a JSON response");
    }

    @Test
    void readLoop_nullLine_failsPendingRequestsWithProtocolException() throws Exception {
        assertLineFailsPendingRequest("null\n", "got null, want a JSON object");
    }

    /** The helper answers a get with {@code line}: the get fails with a ProtocolException. */
    private static void assertLineFailsPendingRequest(String line, String wantMessage) throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            s.next();
            s.writeRaw(line);
            s.readToEnd();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            Throwable cause = causeOf(client.get(action(1)));

            assertInstanceOf(ProtocolException.class, cause, "failure of the pending request");
            assertMessage(cause, wantMessage);
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void readLoop_blankLinesBetweenResponses_areSkipped() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.writeRaw("\n{\"ID\":0,\"KnownCommands\":[\"get\"]}\r\n\n");
            RequestReader.Incoming in = s.next();
            s.writeRaw("\r\n{\"ID\":" + in.request().id() + ",\"Miss\":true}\n\n");
            s.readToEnd();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            assertTrue(client.get(action(1)).get(WAIT_SECONDS, TimeUnit.SECONDS).miss(), "Miss");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void readLoop_helperEof_failsPendingRequests() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            s.next();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            Throwable cause = causeOf(client.get(action(1)));

            assertInstanceOf(IOException.class, cause, "failure of the pending request");
            assertMessage(cause, "helper closed its stdout before the session ended");
            assertMessage(causeOf(client.get(action(2))), "helper connection is broken");
            client.close();
            helper.awaitFinished();
        }
    }

    @Test
    void connect_helperNeverHandshakes_throwsAfterTimeout() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.readToEnd();
        })) {
            IOException e = assertThrows(IOException.class,
                    () -> ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), SHORT));

            assertMessage(e, "no handshake within 500 ms");
            helper.awaitFinished();
        }
    }

    @Test
    void connect_firstResponseIsNotHandshake_throws() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.write(Response.miss(3));
            s.readToEnd();
        })) {
            IOException e = assertThrows(IOException.class,
                    () -> ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE));

            assertMessage(e, "first response has ID 3, want the ID 0 handshake");
            helper.awaitFinished();
        }
    }

    @Test
    void connect_helperEndsBeforeHandshake_throws() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
        })) {
            IOException e = assertThrows(IOException.class,
                    () -> ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE));

            assertMessage(e, "helper closed its stdout");
            helper.awaitFinished();
        }
    }

    @Test
    void close_sendsCloseWaitsForReplyAndEndOfOutput() throws Exception {
        AtomicBoolean helperDone = new AtomicBoolean();
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            RequestReader.Incoming get = s.next();
            s.write(Response.miss(get.request().id()));
            s.answerCloseThenAwaitEof();
            helperDone.set(true);
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);
            assertTrue(client.get(action(1)).get(WAIT_SECONDS, TimeUnit.SECONDS).miss(), "Miss");

            client.close();

            assertTrue(helperDone.get(), "close() returned before the helper ended its output");
            helper.awaitFinished();
            assertTrue(helper.received().endsWith(Json.MAPPER.writeValueAsString(Request.close(2)) + "\n\n"),
                    "got wire " + helper.received() + ", want it to end with close");
        }
    }

    @Test
    void close_helperAnswersCloseWithError_throws() throws Exception {
        try (PipeHelper helper = PipeHelper.start(s -> {
            s.handshake();
            RequestReader.Incoming close = s.next();
            s.write(Response.error(close.request().id(), "flush failed"));
            s.readToEnd();
        })) {
            ProtocolClient client = ProtocolClient.connect(helper.fromHelper(), helper.toHelper(), HANDSHAKE);

            IOException e = assertThrows(IOException.class, client::close);

            assertMessage(e, "helper answered close with: flush failed");
            helper.awaitFinished();
        }
    }

    @Test
    void start_childProcess_servesAFullSession() throws Exception {
        Path stderr = tmp.resolve("child.stderr");
        ProtocolClient client = ProtocolClient.start(child("serve", stderr), HANDSHAKE);
        try {
            assertEquals(List.of("get", "put", "close"), client.knownCommands(), "knownCommands()");
            assertTrue(client.process().isPresent(), "process() of a started client");
            byte[] body = PutBodyTest.randomBytes((1 << 20) + 1, 17);
            OutputId want = OutputId.of(body);

            Response miss = client.get(action(1)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response put = client.put(action(1), body).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response hit = client.get(action(1)).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response empty = client.put(action(2), new byte[0]).get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response lie = client.put(action(3), want, 3, new ByteArrayInputStream(new byte[] {1, 2, 3}))
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            Response emptyHit = client.get(action(2)).get(WAIT_SECONDS, TimeUnit.SECONDS);

            assertTrue(miss.miss(), "got " + miss + " before the put, want a miss");
            assertFalse(put.isError(), "got " + put + ", want success");
            assertEquals(want, put.outputId(), "OutputID of the put");
            assertEquals(body.length, put.size(), "Size of the put");
            assertEquals(want, hit.outputId(), "OutputID of the hit");
            assertEquals(body.length, hit.size(), "Size of the hit");
            assertEquals(ChildHelper.STORED_AT, hit.time(), "Time of the hit");
            assertFalse(empty.isError(), "got " + empty + " for an empty put, want success");
            assertEquals(OutputId.of(new byte[0]), emptyHit.outputId(), "OutputID of the empty hit");
            assertTrue(lie.isError(), "got " + lie + " for a put whose OutputID does not match, want Err");

            client.close();

            assertEquals(Optional.of(0), client.exitStatus(), "exit status; stderr: " + Files.readString(stderr));
        } finally {
            client.process().ifPresent(Process::destroyForcibly);
        }
    }

    @Test
    void start_childNeverHandshakes_throwsAfterTimeout() throws Exception {
        Path stderr = tmp.resolve("child.stderr");
        IOException e = assertThrows(IOException.class, () -> ProtocolClient.start(child("silent", stderr), SHORT));
        assertMessage(e, "no handshake within 500 ms");
    }

    @Test
    void start_missingProgram_throwsIOException() {
        assertThrows(IOException.class, () -> ProtocolClient.start(
                List.of(tmp.resolve("no-such-helper").toString()), HANDSHAKE));
    }

    private static ProcessBuilder child(String mode, Path stderr) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ChildHelper.class.getName(), mode)
                .redirectError(stderr.toFile());
    }

    /** An action whose first byte is {@code n}, so a helper can tell which test request it is. */
    /**
     * A helper that reads one put, hands its request and its body (read {@code chunk} bytes at a
     * time) to the futures, answers it as stored with the size it decoded, then answers close.
     */
    private static PipeHelper.Script storesOnePut(CompletableFuture<Request> seen,
            CompletableFuture<byte[]> seenBody, int chunk) {
        return s -> {
            s.handshake();
            RequestReader.Incoming in = s.next();
            seen.complete(in.request());
            try (PutBody b = in.body()) {
                seenBody.complete(PutBodyTest.readAll(b, chunk));
            }
            s.write(Response.found(in.request().id(), in.request().outputId(), in.body().bytesDecoded(), null, null));
            s.answerCloseThenAwaitEof();
        };
    }

    private static ActionId action(int n) {
        byte[] b = new byte[ActionId.LENGTH];
        b[0] = (byte) n;
        b[31] = (byte) 0xa5;
        return new ActionId(b);
    }


    /** Waits for {@code f} to fail and returns why; fails the test if it succeeds. */
    private static Throwable causeOf(CompletableFuture<Response> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_SECONDS, TimeUnit.SECONDS),
                "got a response, want a failure");
        return e.getCause();
    }

    private static void assertMessage(Throwable e, String wantFragment) {
        String got = e.getMessage();
        assertTrue(got != null && got.contains(wantFragment),
                "got message \"" + got + "\", want one containing \"" + wantFragment + "\"");
    }
}
