package dev.larder.protocol;

import com.fasterxml.jackson.core.JacksonException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of the protocol, behaving as cmd/go's {@code cache/prog.go} does: it waits for
 * the helper's ID 0 handshake before sending anything, keeps many requests in flight, matches
 * replies to requests by ID whatever their order, and on {@link #close()} sends {@code close},
 * waits for its reply, then for the helper's end of output and its exit.
 *
 * <p>Thread-safe: any number of threads may send requests at once; writes are serialized so a
 * put's body line always directly follows its request. A response with an ID that was never
 * sent, or broken output from the helper, fails every pending request and the client.
 */
public final class ProtocolClient implements AutoCloseable {
    /** How long {@link #close()} waits for the helper to answer and exit. */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    private final Process process;
    private final OutputStream toHelper;
    private final InputStream fromHelper;
    private final Map<Long, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<Response> handshake = new CompletableFuture<>();
    private final CompletableFuture<Void> endOfOutput = new CompletableFuture<>();
    private final AtomicLong nextId = new AtomicLong(1);
    private final Object writeLock = new Object();
    private final long startNanos = System.nanoTime();
    private volatile long handshakeNanos = -1;
    private volatile Throwable broken;
    private volatile boolean closing;
    private List<String> knownCommands;

    private ProtocolClient(Process process, InputStream fromHelper, OutputStream toHelper) {
        this.process = process;
        this.fromHelper = fromHelper;
        this.toHelper = new BufferedOutputStream(toHelper, 64 * 1024);
        Thread reader = new Thread(this::readLoop, "larder-protocol-client-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Spawns a helper and waits for its handshake. The caller's builder decides the working
     * directory, environment and where stderr goes (inherit it to see the helper's logs).
     *
     * @throws IOException if the process cannot start, or sends no valid handshake in time
     */
    public static ProtocolClient start(ProcessBuilder helper, Duration handshakeTimeout)
            throws IOException {
        Process p = helper.start();
        ProtocolClient c = new ProtocolClient(p, p.getInputStream(), p.getOutputStream());
        c.awaitHandshake(handshakeTimeout);
        return c;
    }

    /** Spawns {@code command} with stderr inherited and waits for its handshake. */
    public static ProtocolClient start(List<String> command, Duration handshakeTimeout)
            throws IOException {
        return start(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT),
                handshakeTimeout);
    }

    /**
     * Speaks to a helper over the given streams (an in-process helper over pipes) and waits for
     * its handshake. {@link #close()} closes both streams.
     */
    public static ProtocolClient connect(InputStream fromHelper, OutputStream toHelper,
            Duration handshakeTimeout) throws IOException {
        ProtocolClient c = new ProtocolClient(null, fromHelper, toHelper);
        c.awaitHandshake(handshakeTimeout);
        return c;
    }

    private void awaitHandshake(Duration timeout) throws IOException {
        try {
            Response r = handshake.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            knownCommands = r.knownCommands() == null ? List.of() : r.knownCommands();
        } catch (TimeoutException e) {
            abort();
            throw new IOException("helper sent no handshake within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            abort();
            throw new IOException("helper handshake failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new IOException("interrupted while waiting for the helper's handshake", e);
        }
    }

    /** The commands the helper's handshake listed. */
    public List<String> knownCommands() {
        return knownCommands;
    }

    /** Whether the helper listed {@code command} in its handshake. */
    public boolean supports(String command) {
        return knownCommands.contains(command);
    }

    /** Time from the start (or connect) until the handshake arrived. */
    public Duration handshakeLatency() {
        return Duration.ofNanos(handshakeNanos);
    }

    /** The spawned helper process, if this client spawned one. */
    public Optional<Process> process() {
        return Optional.ofNullable(process);
    }

    /** Looks up an action. */
    public CompletableFuture<Response> get(ActionId action) {
        return send(Request.get(nextId.getAndIncrement(), action), null);
    }

    /**
     * Stores {@code size} bytes read from {@code body} as the output of {@code action}. The caller
     * vouches that the bytes hash to {@code output}; the helper checks it.
     */
    public CompletableFuture<Response> put(ActionId action, OutputId output, long size, InputStream body) {
        return send(Request.put(nextId.getAndIncrement(), action, output, size), body);
    }

    /** Stores a byte array, computing its output id. */
    public CompletableFuture<Response> put(ActionId action, byte[] body) {
        return put(action, OutputId.of(body), body.length, new java.io.ByteArrayInputStream(body));
    }

    /** Stores a file's content, computing its output id in a first pass over the file. */
    public CompletableFuture<Response> put(ActionId action, Path file) throws IOException {
        long size = Files.size(file);
        OutputId out = OutputId.of(file); // a file changed in between fails the put's check
        InputStream in = Files.newInputStream(file);
        return put(action, out, size, in).whenComplete((r, e) -> closeQuietly(in));
    }

    /**
     * Sends one request as given, with its body (if {@code request.bodySize() > 0} and
     * {@code body} is not null) base64-encoded on the next line exactly as read from
     * {@code body}, whatever its length. The request's ID must not be in flight already.
     *
     * @return the response; completes exceptionally if the helper dies or the write fails
     */
    public CompletableFuture<Response> send(Request request, InputStream body) {
        CompletableFuture<Response> f = new CompletableFuture<>();
        Throwable b = broken;
        if (b != null) {
            f.completeExceptionally(new IOException("helper connection is broken: " + b.getMessage(), b));
            return f;
        }
        if (pending.putIfAbsent(request.id(), f) != null) {
            f.completeExceptionally(new IllegalArgumentException("request ID " + request.id() + " is already in flight"));
            return f;
        }
        b = broken;
        if (b != null) {
            // The reader failed between the check above and the registration: fail() may have
            // missed this future.
            pending.remove(request.id(), f);
            f.completeExceptionally(new IOException("helper connection is broken: " + b.getMessage(), b));
            return f;
        }
        try {
            byte[] json = Json.MAPPER.writeValueAsBytes(request);
            synchronized (writeLock) {
                toHelper.write(json);
                toHelper.write('\n');
                toHelper.write('\n'); // cmd/go writes a blank line after every request
                if (request.bodySize() > 0 && body != null) {
                    try {
                        PutBody.writeLine(body, toHelper);
                    } catch (IOException e) {
                        // Half a body line is on the wire: nothing after it can be framed.
                        IOException cause = new IOException("sending the body of request " + request.id()
                                + ": " + e.getMessage(), e);
                        fail(cause);
                        closeQuietly(toHelper);
                        throw cause;
                    }
                }
                toHelper.flush();
            }
        } catch (IOException e) {
            pending.remove(request.id(), f);
            f.completeExceptionally(new IOException("writing to helper: " + e.getMessage(), e));
        }
        return f;
    }

    /** A fresh request ID for {@link #send}. */
    public long newId() {
        return nextId.getAndIncrement();
    }

    /**
     * Ends the session as cmd/go does: sends {@code close} if the helper knows it and waits for
     * the reply, closes the helper's stdin, waits for its stdout to end and for it to exit
     * (killing it after {@link #CLOSE_TIMEOUT}).
     *
     * @throws IOException if the helper answered close with an error, or did not end in time
     */
    @Override
    public void close() throws IOException {
        closing = true;
        IOException failure = null;
        try {
            if (broken == null && supports(Request.CLOSE)) {
                Response r = send(Request.close(newId()), null)
                        .get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                if (r.isError()) {
                    failure = new IOException("helper answered close with: " + r.err());
                }
            }
        } catch (TimeoutException e) {
            failure = new IOException("helper did not answer close within " + CLOSE_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            failure = new IOException("close: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = new IOException("interrupted while closing the helper", e);
        }
        synchronized (writeLock) {
            closeQuietly(toHelper);
        }
        try {
            endOfOutput.get(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (process != null && !process.waitFor(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                failure = new IOException("helper did not exit within " + CLOSE_TIMEOUT.toSeconds() + " s of close");
            }
        } catch (TimeoutException e) {
            failure = new IOException("helper kept its stdout open " + CLOSE_TIMEOUT.toSeconds() + " s after close");
        } catch (ExecutionException e) {
            // the reader already failed; the helper's exit status tells the rest
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            abort();
            throw failure;
        }
        closeQuietly(fromHelper);
    }

    /** The helper's exit status once it has exited, if this client spawned it. */
    public Optional<Integer> exitStatus() {
        return process != null && !process.isAlive() ? Optional.of(process.exitValue()) : Optional.empty();
    }

    /** Kills the helper (if spawned) and fails every pending request. */
    public void abort() {
        fail(new IOException("client aborted"));
        closeQuietly(toHelper);
        closeQuietly(fromHelper);
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private void readLoop() {
        WireInput in = new WireInput(fromHelper);
        try {
            byte[] line;
            while ((line = in.readLine(RequestReader.MAX_LINE)) != null) {
                if (line.length == 0) {
                    continue;
                }
                Response r;
                try {
                    r = Json.MAPPER.readValue(line, Response.class);
                } catch (JacksonException e) {
                    throw new ProtocolException("helper wrote a line that is not a JSON response ("
                            + e.getOriginalMessage() + "): "
                            + new String(line, 0, Math.min(120, line.length), StandardCharsets.UTF_8));
                }
                if (r == null) {
                    throw new ProtocolException("helper wrote a line that is not a JSON response: got null,"
                            + " want a JSON object");
                }
                if (!handshake.isDone()) {
                    if (r.id() != 0) {
                        throw new ProtocolException("first response has ID " + r.id() + ", want the ID 0 handshake");
                    }
                    handshakeNanos = System.nanoTime() - startNanos;
                    handshake.complete(r);
                    continue;
                }
                CompletableFuture<Response> f = pending.remove(r.id());
                if (f == null) {
                    throw new ProtocolException("response for ID " + r.id() + ", which is not in flight");
                }
                f.complete(r);
            }
            IOException eof = new IOException(closing
                    ? "helper closed its stdout" : "helper closed its stdout before the session ended");
            fail(eof);
            endOfOutput.complete(null);
        } catch (IOException | RuntimeException e) {
            fail(e);
            endOfOutput.completeExceptionally(e);
        }
    }

    private void fail(Throwable cause) {
        if (broken == null) {
            broken = cause;
        }
        handshake.completeExceptionally(cause);
        for (Long id : pending.keySet()) {
            CompletableFuture<Response> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(cause);
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // best effort: the peer may already be gone
        }
    }
}
