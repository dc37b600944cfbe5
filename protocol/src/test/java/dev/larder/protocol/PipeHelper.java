package dev.larder.protocol;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An in-process helper for client tests: a script run on its own thread, reading requests with
 * {@link RequestReader} and answering with {@link ResponseWriter} over two pipes. When the script
 * returns (or throws) the helper's output is closed, so the client sees end of output.
 *
 * <p>Every byte the helper reads is recorded, so tests can check the exact framing the client
 * wrote.
 */
final class PipeHelper implements AutoCloseable {
    private static final int PIPE_SIZE = 64 * 1024;

    /** What the helper does, in order, with the session it is given. */
    interface Script {
        void run(Session session) throws Exception;
    }

    /** The helper's side of the connection. */
    static final class Session {
        private final RequestReader requests;
        private final ResponseWriter responses;
        private final OutputStream raw;

        private Session(RequestReader requests, ResponseWriter responses, OutputStream raw) {
            this.requests = requests;
            this.responses = responses;
            this.raw = raw;
        }

        /** Sends the ID 0 handshake listing get, put and close. */
        void handshake() throws IOException {
            responses.write(Response.handshake(List.of(Request.GET, Request.PUT, Request.CLOSE)));
        }

        /** The next request, or null at the end of the client's output. */
        RequestReader.Incoming next() throws IOException {
            return requests.next();
        }

        void write(Response response) throws IOException {
            responses.write(response);
        }

        /** Writes bytes that need not be a valid response. */
        void writeRaw(String text) throws IOException {
            raw.write(text.getBytes(StandardCharsets.UTF_8));
            raw.flush();
        }

        /** Reads and ignores requests until the client's output ends (it closes, or gives up). */
        void readToEnd() throws IOException {
            while (next() != null) {
                // the client may still be writing; read until it closes
            }
        }

        /** Reads requests until the client's output ends, answering close; fails on anything else. */
        void answerCloseThenAwaitEof() throws IOException {
            RequestReader.Incoming in = next();
            if (in == null || !Request.CLOSE.equals(in.request().command())) {
                throw new IllegalStateException("got " + (in == null ? "end of input" : in.request())
                        + ", want close");
            }
            write(Response.closed(in.request().id()));
            if (next() != null) {
                throw new IllegalStateException("got a request after close, want end of input");
            }
        }
    }

    private final PipedInputStream fromHelper;
    private final PipedOutputStream toHelper;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    private PipeHelper(Script script) throws IOException {
        fromHelper = new PipedInputStream(PIPE_SIZE);
        PipedOutputStream helperOut = new PipedOutputStream(fromHelper);
        toHelper = new PipedOutputStream();
        PipedInputStream helperIn = new PipedInputStream(toHelper, PIPE_SIZE);
        InputStream recording = new FilterInputStream(helperIn) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    record(new byte[] {(byte) b}, 0, 1);
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                    record(b, off, n);
                }
                return n;
            }
        };
        Thread thread = new Thread(() -> {
            try (ResponseWriter responses = new ResponseWriter(helperOut)) {
                script.run(new Session(new RequestReader(recording), responses, helperOut));
                finished.complete(null);
            } catch (Throwable t) {
                finished.completeExceptionally(t);
            }
        }, "pipe-helper");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts {@code script} on its own thread. */
    static PipeHelper start(Script script) throws IOException {
        return new PipeHelper(script);
    }

    /** The client's input: what the helper writes. */
    InputStream fromHelper() {
        return fromHelper;
    }

    /** The client's output: what the helper reads. */
    OutputStream toHelper() {
        return toHelper;
    }

    /** Waits for the script to end and rethrows what it threw. */
    void awaitFinished() throws Exception {
        finished.get(60, TimeUnit.SECONDS);
    }

    /** Everything the helper has read so far, as text. */
    String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    private void record(byte[] b, int off, int len) {
        synchronized (received) {
            received.write(b, off, len);
        }
    }

    /** Ends the client's output, so a script still reading sees the end of input. */
    @Override
    public void close() throws IOException {
        toHelper.close();
    }
}
