package dev.larder.storage.tier;

import dev.larder.storage.BodyMismatchException;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.SessionRecord;
import dev.larder.storage.Storage;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
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
 * every writable far tier; {@link #flush} waits (within {@link TierOptions#uploadWait()}) for the
 * queue. A far tier that fails (down, slow, garbage, refusing) is a miss, said once on stderr,
 * counted, and left alone after a run of failures: it never fails a request.
 *
 * <p>When the near store is read-only, far hits and puts go to a {@link Spool} instead, whose
 * files last until {@link #close}.
 */
final class TieredStorage implements Storage {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage.tier");

    private final Storage near;
    private final boolean nearWritable;
    private final List<Tier> far;
    private final TierOptions options;
    private final Spool spool;
    private final ThreadPoolExecutor uploads;
    private final Object pendingLock = new Object();
    private int pending;

    private final LongAdder remoteHits = new LongAdder();
    private final LongAdder remoteHitBytes = new LongAdder();
    private final LongAdder remoteMisses = new LongAdder();
    private final LongAdder remoteErrors = new LongAdder();
    private final LongAdder remoteRefused = new LongAdder();
    private final LongAdder uploaded = new LongAdder();
    private final LongAdder uploadErrors = new LongAdder();
    private final LongAdder uploadsDropped = new LongAdder();
    private final LongAdder uploadsAbandoned = new LongAdder();

    TieredStorage(Storage near, boolean nearWritable, List<Tier> far, TierOptions options, InstantSource clock) {
        this.near = near;
        this.nearWritable = nearWritable;
        this.far = List.copyOf(far);
        this.options = options;
        this.spool = new Spool(clock);
        this.uploads = new ThreadPoolExecutor(options.uploaders(), options.uploaders(), 10, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(options.queueCapacity()), r -> {
                    Thread t = new Thread(r, "larder-upload");
                    t.setDaemon(true);
                    return t;
                });
        this.uploads.allowCoreThreadTimeOut(true);
    }

    @Override
    public Optional<Entry> get(Digest action) throws IOException {
        Optional<Entry> e = near.get(action);
        if (e.isPresent()) {
            return e;
        }
        for (Tier t : far) {
            if (t.reads.on()) {
                Optional<Entry> got = fetch(t, action);
                if (got.isPresent()) {
                    return got;
                }
            }
        }
        return Optional.empty();
    }

    /** Looks {@code action} up in one far tier; a hit is verified and stored near. */
    private Optional<Entry> fetch(Tier t, Digest action) {
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
                entry = nearWritable
                        ? near.put(action, found.output(), found.size(), in)
                        : spool.put(found.output(), found.size(), in);
            }
            t.reads.ok();
            remoteHits.increment();
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
                    + options.queueCapacity() + " uploads already queued");
        }
    }

    private void upload(Tier t, Digest action, Entry e) {
        if (!t.writes.on()) {
            uploadsDropped.increment();
            return;
        }
        try {
            t.backend.store(action, e.output(), e.size(), e.path());
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

    /** Waits for queued uploads, at most {@link TierOptions#uploadWait()}; what is left is abandoned. */
    @Override
    public void flush() throws IOException {
        long deadline = System.nanoTime() + options.uploadWait().toNanos();
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
            List<Runnable> dropped = uploads.getQueue().stream().toList();
            uploads.getQueue().clear();
            for (int i = 0; i < dropped.size(); i++) {
                done();
            }
            uploadsAbandoned.add(left);
            LOG.log(Level.WARNING, left + " uploads not finished after " + options.uploadWait().toSeconds()
                    + " s; left undone (the outputs stay in the local store)");
        }
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("remoteHits", remoteHits.sum());
        m.put("remoteHitBytes", remoteHitBytes.sum());
        m.put("remoteMisses", remoteMisses.sum());
        m.put("remoteErrors", remoteErrors.sum());
        m.put("remoteRefused", remoteRefused.sum());
        m.put("uploads", uploaded.sum());
        m.put("uploadErrors", uploadErrors.sum());
        m.put("uploadsDropped", uploadsDropped.sum());
        m.put("uploadsAbandoned", uploadsAbandoned.sum());
        return m;
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
        List<IOException> failures = new ArrayList<>();
        try {
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
