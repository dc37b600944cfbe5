package dev.larder.helper;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.larder.protocol.ActionId;
import dev.larder.protocol.OutputId;
import dev.larder.protocol.ProtocolException;
import dev.larder.protocol.PutBody;
import dev.larder.protocol.Request;
import dev.larder.protocol.RequestReader;
import dev.larder.protocol.Response;
import dev.larder.protocol.ResponseWriter;
import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.SessionRecord;
import dev.larder.storage.Storage;
import dev.larder.storage.TierCounters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves one GOCACHEPROG session: reads requests from cmd/go, answers each as soon as it is
 * done (out of order), and ends on {@code close} or at the end of input.
 *
 * <p>The handshake is written before the store is opened, because cmd/go sends nothing until it
 * arrives; requests that need the store wait for it. Put bodies are streamed from the input
 * straight into the store, which verifies their length and SHA-256 before anything becomes
 * visible. A request that can be framed but not served (unknown command, malformed ids, a body
 * that does not match) gets an {@code Err} reply with its ID and the session goes on.
 *
 * <p>Failures are told apart by type: a {@link ProtocolException} (input that cannot be framed,
 * a broken body line among them) ends the session; a {@link BodyMismatchException} is its put's
 * {@code Err}; any other {@link IOException} is the store's (it cannot be opened, the disk is
 * full) and is its request's {@code Err}, the session going on.
 *
 * <p>Memory stays bounded whatever the client sends: at most {@link HelperSettings#maxInFlight()}
 * requests are read and not yet answered, and each worker writes its reply before it takes the
 * next request, so replies the client has not read yet wait in the pipe, not here. When the bound
 * is reached the reading thread stops reading until a reply has been written, and the client's
 * writes block once the pipe is full: a client must read replies while it writes requests (as
 * cmd/go does, on another goroutine), or it waits for ever for a helper that waits for it.
 *
 * <p>A {@code CacheHelper} serves one session; {@link #serve} is called once.
 */
public final class CacheHelper {
    private static final System.Logger LOG = System.getLogger("dev.larder.helper");

    /** Opens the store; called once, on a background thread, after the handshake is sent. */
    @FunctionalInterface
    public interface StorageOpener {
        Storage open() throws IOException;
    }

    private final StorageOpener opener;
    private final HelperSettings settings;
    private final ThreadPoolExecutor workers;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** One permit per request that may be read and not yet answered; see {@link HelperSettings#maxInFlight()}. */
    private final Semaphore slots;
    private final Object idle = new Object();
    private final AtomicLong gets = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong puts = new AtomicLong();
    private final AtomicLong putBytes = new AtomicLong();
    private final AtomicLong hitBytes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile long handshakeMillis = -1;
    private volatile long storeOpenMillis = -1;
    private volatile long sessionStartNanos;
    private volatile long sessionEndNanos;
    private CompletableFuture<Storage> store;
    private ResponseWriter writer;
    /** Whether replies written by the reading thread wait for its flush; that thread's alone. */
    private boolean held;
    /**
     * Puts being stored now, by action: a later request for the same action waits for its put
     * before it is dispatched, so it is answered as after the put (and two puts of one action are
     * stored in the order they came), while other requests go on meanwhile.
     */
    private final java.util.concurrent.ConcurrentHashMap<ActionId, CompletableFuture<Void>> putsInFlight =
            new java.util.concurrent.ConcurrentHashMap<>();

    private CacheHelper(StorageOpener opener, HelperSettings settings) {
        this.opener = opener;
        this.settings = settings;
        this.slots = new Semaphore(settings.maxInFlight());
        this.workers = new ThreadPoolExecutor(settings.workers(), settings.workers(), 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "larder-helper-worker");
                    t.setDaemon(true);
                    return t;
                });
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** A helper that will serve from the store {@code opener} opens. */
    public static CacheHelper create(StorageOpener opener, HelperSettings settings) {
        return new CacheHelper(opener, settings);
    }

    /**
     * Serves one session and returns when it has ended: after {@code close} was answered, or at
     * the end of input once every request in flight has been answered. Closes {@code out} (so
     * the client sees the end of output) and the store.
     *
     * @throws ProtocolException if the input could not be framed; requests in flight are still
     *                           answered first, and nothing half-received is stored
     * @throws IOException       if responses cannot be written (the client went away)
     */
    public void serve(InputStream in, OutputStream out) throws IOException {
        writer = new ResponseWriter(out);
        writer.writeHandshake(settings.readOnly()
                ? List.of(Request.GET, Request.CLOSE)
                : List.of(Request.GET, Request.PUT, Request.CLOSE));
        sessionStartNanos = System.nanoTime();
        handshakeMillis = settings.launchedAt()
                .map(t -> Math.max(0, Instant.now().toEpochMilli() - t.toEpochMilli())).orElse(-1L);
        store = CompletableFuture.supplyAsync(this::openStore, workers);
        RequestReader reader = new RequestReader(in);
        boolean ended = false;
        try {
            while (true) {
                if (!reader.hasBufferedRequest()) {
                    // The replies answered here leave before this thread waits for input.
                    flushHeld();
                }
                RequestReader.Incoming next = reader.next();
                if (next == null) {
                    LOG.log(Level.DEBUG, "end of input without close");
                    flushHeld();
                    awaitIdle();
                    ended = true;
                    finish(null);
                    return;
                }
                Request r = next.request();
                LOG.log(Level.DEBUG, () -> "request " + r);
                if (Request.CLOSE.equals(r.command())) {
                    flushHeld();
                    awaitIdle();
                    ended = true;
                    finish(r);
                    return;
                }
                ActionId action = actionOf(r);
                if (action != null) {
                    CompletableFuture<Void> earlier = putsInFlight.get(action);
                    if (earlier != null) {
                        flushHeld();
                        earlier.join();
                    }
                }
                if (next.body() == null && next.invalid() == null && answeredAtOnce(r, action)) {
                    continue;
                }
                dispatch(r, next.body(), next.invalid(), action);
                if (next.body() != null) {
                    // The next request starts after this body on the wire: wait until the worker
                    // has read it to its end (or drained it), not until it is stored, so that the
                    // next requests are read and served while this one is fsynced and indexed.
                    flushHeld();
                    next.body().awaitLineRead();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while serving", e);
        } catch (ProtocolException e) {
            // Requests read before the bad input are still answered.
            awaitIdle();
            throw e;
        } finally {
            if (!ended) {
                abandon();
            }
        }
    }

    /**
     * Ends a session that failed (bad input, a broken stdin): stats are still written, and the
     * output is closed so that the client sees the end of output as after close, or an in-process
     * client would wait for it until its own timeout. Best effort: the failure is what matters.
     */
    private void abandon() {
        sessionEndNanos = System.nanoTime();
        writeStats();
        try {
            writer.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "closing output: " + e.getMessage());
        }
        try {
            shutdown();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "closing store: " + e.getMessage());
        }
    }

    /** The counters so far; final once {@link #serve} has returned. */
    public HelperStats stats() {
        long end = sessionEndNanos != 0 ? sessionEndNanos : System.nanoTime();
        return new HelperStats(gets.get(), hits.get(), misses.get(), puts.get(), putBytes.get(),
                hitBytes.get(), errors.get(), handshakeMillis, storeOpenMillis,
                sessionStartNanos == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(end - sessionStartNanos),
                settings.readOnly(), storeCounters());
    }

    private TierCounters storeCounters() {
        CompletableFuture<Storage> s = store;
        if (s == null || !s.isDone() || s.isCompletedExceptionally()) {
            return TierCounters.NONE;
        }
        return s.join().counters();
    }

    /**
     * Lets the store finish its background work (uploads to far tiers) before the session ends;
     * a failure is logged, never the session's.
     */
    private void flushStore() {
        if (store == null || store.isCompletedExceptionally()) {
            return;
        }
        try {
            storage().flush();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "finishing the store's background work: " + e.getMessage());
        }
    }

    private Storage openStore() {
        long t0 = System.nanoTime();
        try {
            Storage s = opener.open();
            storeOpenMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            LOG.log(Level.DEBUG, () -> "store open in " + storeOpenMillis + " ms");
            return s;
        } catch (IOException e) {
            // Said once here; every request that needed the store then gets this as its Err.
            LOG.log(Level.WARNING, "cannot open the store, serving errors (cmd/go treats them as misses): "
                    + e.getMessage());
            throw new CompletionException(e);
        }
    }

    /** The action a request names, or null if it names none (or none that is well formed). */
    private static ActionId actionOf(Request r) {
        if (r.rawActionId() == null) {
            return null;
        }
        try {
            return r.actionId();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Hands a request to a worker, once fewer than {@link HelperSettings#maxInFlight()} are in
     * flight: until then this (the reading) thread waits, and reads no further input.
     */
    private void dispatch(Request r, PutBody body, String invalid, ActionId action) throws InterruptedException {
        if (!slots.tryAcquire()) {
            // The replies held on this thread may be what the client waits for before it reads more.
            flushHeld();
            slots.acquire();
        }
        inFlight.incrementAndGet();
        CompletableFuture<Void> stored = null;
        if (action != null && Request.PUT.equals(r.command())) {
            stored = new CompletableFuture<>();
            putsInFlight.put(action, stored);
        }
        CompletableFuture<Void> done = stored;
        try {
            workers.execute(() -> {
                try {
                    Response resp = invalid != null ? error(r.id(), invalid) : answer(r, body);
                    if (resp != null) {
                        reply(resp);
                    }
                } finally {
                    if (body != null) {
                        body.close();
                    }
                    if (done != null) {
                        putsInFlight.remove(action, done);
                        done.complete(null);
                    }
                    // After the reply is written: a reply blocked on a full pipe still holds its slot.
                    slots.release();
                    if (inFlight.decrementAndGet() == 0) {
                        synchronized (idle) {
                            idle.notifyAll();
                        }
                    }
                }
            });
        } catch (RuntimeException e) {
            slots.release();
            inFlight.decrementAndGet();
            if (body != null) {
                body.close();
            }
            if (done != null) {
                putsInFlight.remove(action, done);
                done.complete(null);
            }
            throw e;
        }
    }

    /** Computes the reply to one request; null when the session is ending on a framing error. */
    private Response answer(Request r, PutBody body) {
        String cmd = r.command();
        try {
            if (Request.GET.equals(cmd)) {
                return get(r);
            }
            if (Request.PUT.equals(cmd)) {
                return put(r, body);
            }
            return error(r.id(), "unknown command " + quote(cmd) + "; this helper knows "
                    + (settings.readOnly() ? "get, close" : "get, put, close"));
        } catch (IllegalArgumentException e) {
            return error(r.id(), cmd + ": " + e.getMessage());
        } catch (ProtocolException brokenWire) {
            // The body line could not be framed: the reader ends the session with this failure
            // (the body keeps it), so no reply is written for it.
            return null;
        } catch (IOException storeFailed) {
            // The store could not be opened, read or written (a full disk): the session goes on.
            return error(r.id(), cmd + ": " + storeFailed.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "unexpected failure serving " + r, e);
            return error(r.id(), cmd + ": internal error: " + e);
        }
    }

    private Response get(Request r) throws IOException {
        ActionId action = r.actionId();
        Optional<Entry> e = storage().get(new Digest(action.bytes()));
        gets.incrementAndGet();
        if (e.isEmpty()) {
            misses.incrementAndGet();
            LOG.log(Level.DEBUG, () -> "get " + action + ": miss");
            return Response.miss(r.id());
        }
        return hit(r, action, e.get());
    }

    private Response hit(Request r, ActionId action, Entry entry) {
        LOG.log(Level.DEBUG, () -> "get " + action + ": hit, " + entry.size() + " bytes at " + entry.path());
        hits.incrementAndGet();
        hitBytes.addAndGet(entry.size());
        return Response.found(r.id(), new OutputId(entry.output().bytes()), entry.size(), entry.time(),
                entry.path().toString());
    }

    /**
     * Answers a get on this thread, the one reading requests, when the store can tell at once
     * (a recent hit: a stat, no index): no hand-off to a worker, and the reply is held, to leave
     * with the others answered before this thread next waits. False: a worker must answer it.
     */
    private boolean answeredAtOnce(Request r, ActionId action) {
        if (action == null || !Request.GET.equals(r.command()) || !store.isDone() || store.isCompletedExceptionally()) {
            return false;
        }
        Optional<Entry> e;
        try {
            e = store.join().getIfHot(new Digest(action.bytes()));
        } catch (RuntimeException failed) {
            return false; // the worker's get reports it
        }
        if (e.isEmpty()) {
            return false;
        }
        gets.incrementAndGet();
        Response resp = hit(r, action, e.get());
        try {
            writer.writeHeld(resp);
            held = true;
        } catch (IOException failed) {
            // The client went away; the reader will see the end of input and end the session.
            LOG.log(Level.DEBUG, () -> "cannot write response " + resp.id() + ": " + failed.getMessage());
        }
        return true;
    }

    /** Flushes the replies {@link #answeredAtOnce} wrote, if any. */
    private void flushHeld() {
        if (!held) {
            return;
        }
        held = false;
        try {
            writer.flush();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "cannot flush responses: " + e.getMessage());
        }
    }

    private Response put(Request r, PutBody body) throws IOException {
        if (settings.readOnly()) {
            return error(r.id(), "put: this helper is read-only");
        }
        ActionId action = r.actionId();
        OutputId output = r.outputId();
        InputStream in = body != null ? body : InputStream.nullInputStream();
        Entry e;
        try {
            e = storage().put(new Digest(action.bytes()), new Digest(output.bytes()), r.bodySize(), in);
        } catch (BodyMismatchException mismatch) {
            return error(r.id(), mismatch.getMessage());
        }
        puts.incrementAndGet();
        putBytes.addAndGet(e.size());
        return Response.found(r.id(), output, e.size(), e.time(), e.path().toString());
    }

    private Storage storage() throws IOException {
        try {
            return store.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            throw new IOException("store unavailable: " + (c != null ? c.getMessage() : e.getMessage()), c);
        }
    }

    private Response error(long id, String message) {
        errors.incrementAndGet();
        LOG.log(Level.DEBUG, () -> "request " + id + " failed: " + message);
        return Response.error(id, message);
    }

    private void reply(Response r) {
        try {
            writer.write(r);
        } catch (IOException e) {
            // The client went away; the reader will see the end of input and end the session.
            LOG.log(Level.DEBUG, () -> "cannot write response " + r.id() + ": " + e.getMessage());
        }
    }

    private void awaitIdle() throws IOException {
        synchronized (idle) {
            while (inFlight.get() > 0) {
                try {
                    idle.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while finishing requests in flight", e);
                }
            }
        }
    }

    /**
     * Ends the session: stats first (so they exist by the time the client sees the close reply),
     * then the close reply and the end of output, then the store.
     */
    private void finish(Request close) throws IOException {
        // Before the close reply: cmd/go stops waiting for the helper once close is answered, and
        // the build's outputs should be shared by the time the build is over.
        flushStore();
        sessionEndNanos = System.nanoTime();
        writeStats();
        try {
            if (close != null) {
                writer.write(Response.closed(close.id()));
            }
            writer.close();
        } finally {
            shutdown();
        }
    }

    private void shutdown() throws IOException {
        workers.shutdown();
        if (store != null) {
            Storage s;
            try {
                s = store.join();
            } catch (CompletionException e) {
                return;
            }
            try {
                // After the last reply and the end of output: the client is not kept waiting.
                HelperStats st = stats();
                s.recordSession(new SessionRecord(Instant.now(), st.gets(), st.hits(), st.misses(), st.puts(),
                        st.putBytes(), st.errors()));
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot record the session in the store: " + e.getMessage());
            }
            s.close();
        }
    }

    private void writeStats() {
        if (settings.statsJson().isEmpty()) {
            return;
        }
        Path file = settings.statsJson().get().toAbsolutePath();
        try {
            Path dir = file.getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".stats-", ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), stats());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot write stats to " + file + ": " + e.getMessage());
        }
    }

    private static String quote(String s) {
        return s == null ? "(none)" : "\"" + s + "\"";
    }
}
