package dev.larder.storage.tier;

import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.SessionRecord;
import dev.larder.storage.Storage;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.TierCounters;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Tiers of stores behind one {@link Storage}: a near store whose entries are local files, then
 * far tiers, nearest first.
 *
 * <p>A get asks the near store, then each far tier in turn. A far hit is streamed into the near
 * store, which verifies its length and SHA-256 against the output id before anything is stored,
 * so the entry returned is a local file with verified bytes; a body that does not match is
 * refused and the next tier is asked. A put is stored near at once and queued for upload to
 * every writable far tier; {@link #flush} waits (within {@link TierSettings#uploadWait()}) for the
 * queue. A far tier that fails (down, slow, garbage, refusing) is a miss, said once on stderr,
 * counted, and left alone after a run of failures: it never fails a request.
 *
 * <p>With a prefetch key (the working directory), the actions a session asks for are recorded in
 * the near store, and the next session with that key starts by fetching those it lacks.
 *
 * <p>When the near store is read-only, far hits and puts go to a {@link Spool} instead, whose
 * files last until {@link #close}.
 */
final class TieredStorage implements Storage {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage.tier");

    private final Storage near;
    private final boolean nearWritable;
    private final List<Tier> far;
    private final TierSettings settings;
    private final Spool spool;
    private final InstantSource clock;
    private final ThreadPoolExecutor uploads;
    private final Optional<Prefetch> prefetch;
    private final ExecutorService prefetchers;
    /** Prefetches under way, by action: a get for one of them waits for it rather than fetch twice. */
    private final ConcurrentHashMap<Digest, CompletableFuture<Optional<Entry>>> prefetching = new ConcurrentHashMap<>();
    private final Object pendingLock = new Object();
    private int pending;

    private final LongAdder remoteHits = new LongAdder();
    private final LongAdder remoteHitBytes = new LongAdder();
    private final LongAdder remoteMisses = new LongAdder();
    private final LongAdder remoteErrors = new LongAdder();
    private final LongAdder remoteRefused = new LongAdder();
    private final LongAdder untrusted = new LongAdder();
    private final LongAdder uploaded = new LongAdder();
    private final LongAdder uploadErrors = new LongAdder();
    private final LongAdder uploadsDropped = new LongAdder();
    private final LongAdder uploadsAbandoned = new LongAdder();
    private final LongAdder prefetched = new LongAdder();

    TieredStorage(Storage near, boolean nearWritable, List<Tier> far, TierSettings settings, InstantSource clock,
            Optional<Prefetch> prefetch) {
        this.near = near;
        this.nearWritable = nearWritable;
        this.far = List.copyOf(far);
        this.settings = settings;
        this.spool = new Spool(clock);
        this.clock = clock;
        this.uploads = new ThreadPoolExecutor(settings.uploaders(), settings.uploaders(), 10, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(settings.queueCapacity()), r -> {
                    Thread t = new Thread(r, "larder-upload");
                    t.setDaemon(true);
                    return t;
                });
        this.uploads.allowCoreThreadTimeOut(true);
        this.prefetch = prefetch;
        this.prefetchers = Executors.newFixedThreadPool(settings.uploaders(), r -> {
            Thread t = new Thread(r, "larder-prefetch");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Fetches, in the background, what the last session in this working directory asked for and
     * the near store lacks, so that this session's remote hits cost local latency. A get for an
     * action being prefetched waits for that fetch; one that comes first fetches it itself.
     */
    void startPrefetch() {
        if (prefetch.isEmpty() || far.isEmpty() || !nearWritable) {
            return;
        }
        prefetchers.execute(() -> {
            List<Digest> wanted;
            try {
                wanted = prefetch.get().previous();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "prefetch: cannot read the record: " + e.getMessage());
                return;
            }
            LOG.log(Level.DEBUG, () -> "prefetch: " + wanted.size() + " actions asked for last time");
            for (Digest action : wanted) {
                prefetchers.execute(() -> prefetchOne(action));
            }
        });
    }

    private void prefetchOne(Digest action) {
        CompletableFuture<Optional<Entry>> done = new CompletableFuture<>();
        if (prefetching.putIfAbsent(action, done) != null) {
            return;
        }
        Optional<Entry> got = Optional.empty();
        try {
            if (near.get(action).isEmpty()) {
                for (Tier t : far) {
                    if (t.reads.on()) {
                        got = fetch(t, action, true);
                        if (got.isPresent()) {
                            break;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.DEBUG, () -> "prefetch " + action + ": " + e.getMessage());
        } finally {
            done.complete(got);
            prefetching.remove(action, done);
        }
    }

    @Override
    public Optional<Entry> getIfHot(Digest action) {
        // A near hit, as get answers it first; far tiers are never "at once".
        Optional<Entry> e = near.getIfHot(action);
        if (e.isPresent()) {
            prefetch.ifPresent(p -> p.asked(action));
        }
        return e;
    }

    @Override
    public Optional<Entry> get(Digest action) throws IOException {
        prefetch.ifPresent(p -> p.asked(action));
        Optional<Entry> e = near.get(action);
        if (e.isPresent()) {
            return e;
        }
        CompletableFuture<Optional<Entry>> coming = prefetching.get(action);
        if (coming != null) {
            // prefetchOne always completes it normally, with what it found
            Optional<Entry> fetched = coming.join();
            if (fetched.isPresent()) {
                remoteHits.increment();
                return fetched;
            }
        }
        for (Tier t : far) {
            if (t.reads.on()) {
                Optional<Entry> got = fetch(t, action, false);
                if (got.isPresent()) {
                    return got;
                }
            }
        }
        return Optional.empty();
    }

    /** Looks {@code action} up in one far tier; a hit is verified and stored near ({@code ahead}: for prefetch). */
    private Optional<Entry> fetch(Tier t, Digest action, boolean ahead) {
        StoredOutput found;
        try {
            Optional<StoredOutput> f = t.backend.find(action);
            if (f.isEmpty()) {
                t.reads.ok();
                remoteMisses.increment();
                return Optional.empty();
            }
            found = f.get();
        } catch (IOException | RuntimeException e) {
            remoteErrors.increment();
            t.reads.failed("looking up " + action + ": " + message(e));
            return Optional.empty();
        }
        if (settings.trust().isPresent() && !settings.trust().get().trusts(action, found)) {
            untrusted.increment();
            t.reads.ok();
            if (t.warnedUntrusted.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "store " + t.name + ": the record of action " + action + " is "
                        + (found.signature().isEmpty() ? "not signed" : "signed by no trusted key")
                        + "; such records count as misses (untrusted; see the helper's stats for how many)");
            } else {
                LOG.log(Level.DEBUG, () -> "store " + t.name + ": " + action + ": untrusted record, a miss");
            }
            return Optional.empty();
        }
        try {
            Optional<InputStream> body = t.backend.open(found.output(), found.size());
            if (body.isEmpty()) {
                // An action record whose body is gone (trimmed apart): a miss like any other.
                t.reads.ok();
                remoteMisses.increment();
                return Optional.empty();
            }
            Entry entry;
            try (InputStream in = body.get()) {
                // As it came: a signed record stays signed for whoever reads this store next.
                entry = nearWritable
                        ? near.put(action, found, in)
                        : spool.put(found.output(), found.size(), in);
            }
            t.reads.ok();
            if (ahead) {
                prefetched.increment();
            } else {
                remoteHits.increment();
            }
            remoteHitBytes.add(found.size());
            LOG.log(Level.DEBUG, () -> "get " + action + ": hit in " + t.name + ", " + found.size() + " bytes copied near");
            return Optional.of(entry);
        } catch (BodyMismatchException e) {
            remoteRefused.increment();
            t.reads.failed("output " + found.output() + " of action " + action + " does not match its id, not served: "
                    + e.getMessage());
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            remoteErrors.increment();
            t.reads.failed("fetching output " + found.output() + ": " + message(e));
            return Optional.empty();
        }
    }

    @Override
    public Entry put(Digest action, Digest output, long size, InputStream body) throws IOException {
        Entry e;
        if (nearWritable) {
            e = near.put(action, output, size, body);
        } else if (far.stream().anyMatch(t -> t.writable)) {
            e = spool.put(output, size, body);
        } else {
            throw new IOException("every store is read-only");
        }
        for (Tier t : far) {
            if (t.writable && t.writes.on()) {
                enqueue(t, action, e);
            }
        }
        return e;
    }

    private void enqueue(Tier t, Digest action, Entry e) {
        synchronized (pendingLock) {
            pending++;
        }
        try {
            uploads.execute(() -> {
                try {
                    upload(t, action, e);
                } finally {
                    done();
                }
            });
        } catch (RejectedExecutionException full) {
            done();
            uploadsDropped.increment();
            LOG.log(Level.DEBUG, () -> "upload of " + action + " to " + t.name + " dropped: "
                    + settings.queueCapacity() + " uploads already queued");
        }
    }

    private void upload(Tier t, Digest action, Entry e) {
        if (!t.writes.on()) {
            uploadsDropped.increment();
            return;
        }
        try {
            StoredOutput record = new StoredOutput(e.output(), e.size(), clock.instant());
            if (settings.signer().isPresent()) {
                record = record.signed(settings.signer().get().sign(action, record));
            }
            t.backend.store(action, record, e.path());
            t.writes.ok();
            uploaded.increment();
            LOG.log(Level.DEBUG, () -> "uploaded " + action + " to " + t.name);
        } catch (IOException | RuntimeException x) {
            uploadErrors.increment();
            t.writes.failed("uploading " + action + ": " + message(x));
        }
    }

    private void done() {
        synchronized (pendingLock) {
            if (--pending == 0) {
                pendingLock.notifyAll();
            }
        }
    }

    /**
     * Saves the prefetch record, then waits for queued uploads, at most
     * {@link TierSettings#uploadWait()}; what is left is abandoned.
     */
    @Override
    public void flush() throws IOException {
        // Saved before the close reply, so that the next session in this directory finds it.
        if (prefetch.isPresent() && nearWritable) {
            try {
                prefetch.get().save();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "prefetch: cannot save the record: " + e.getMessage());
            }
        }
        long deadline = System.nanoTime() + settings.uploadWait().toNanos();
        int left;
        synchronized (pendingLock) {
            while (pending > 0) {
                long wait = deadline - System.nanoTime();
                if (wait <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(pendingLock, wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for uploads", e);
                }
            }
            left = pending;
        }
        if (left > 0) {
            // Those not started yet are dropped; those running end (or fail) on their own.
            List<Runnable> notStarted = new ArrayList<>();
            uploads.getQueue().drainTo(notStarted);
            notStarted.forEach(r -> done());
            uploadsAbandoned.add(left);
            LOG.log(Level.WARNING, left + " uploads not finished after " + settings.uploadWait().toSeconds()
                    + " s; left undone (the outputs stay in the local store)");
        }
    }

    @Override
    public TierCounters counters() {
        return new TierCounters(remoteHits.sum(), remoteHitBytes.sum(), remoteMisses.sum(), remoteErrors.sum(),
                remoteRefused.sum(), untrusted.sum(), uploaded.sum(), uploadErrors.sum(), uploadsDropped.sum(), uploadsAbandoned.sum(),
                prefetched.sum());
    }

    @Override
    public void recordSession(SessionRecord session) throws IOException {
        if (nearWritable) {
            near.recordSession(session);
        }
    }

    @Override
    public void close() throws IOException {
        uploads.shutdownNow();
        prefetchers.shutdownNow();
        List<IOException> failures = new ArrayList<>();
        try {
            // Prefetches in flight write into the near store: let them end before it closes.
            prefetchers.awaitTermination(5, TimeUnit.SECONDS);
            if (!uploads.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(Level.DEBUG, "uploads still running at close; abandoned");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Tier t : far) {
            try {
                t.backend.close();
            } catch (IOException e) {
                failures.add(e);
            }
        }
        try {
            spool.delete();
        } catch (IOException e) {
            failures.add(e);
        }
        try {
            near.close();
        } catch (IOException e) {
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            IOException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }

    private static String message(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }
}
