package dev.larder.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A backend held in memory, shared by every instance over one {@link Data}: the smallest correct
 * {@link Backend}, and, with a {@link Fault}, a broken one that {@link BackendContract} must reject.
 */
final class MemoryBackend implements Backend {
    /** What a broken backend gets wrong. */
    enum Fault {
        /** None: a correct backend. */
        NONE,
        /**
         * Stores the record before the body, and the first body only once a reader has found its
         * record and failed to open its body: the race the body-before-record rule forbids, made
         * certain to be seen.
         */
        RECORD_BEFORE_BODY,
        /** Serves every body with its last byte changed. */
        WRONG_BYTES,
        /** Keeps the first output stored for an action, ignoring later ones. */
        KEEPS_FIRST_OUTPUT,
    }

    /** The records and bodies that instances over it share. */
    static final class Data {
        final Map<Digest, StoredOutput> records = new ConcurrentHashMap<>();
        final Map<Digest, byte[]> bodies = new ConcurrentHashMap<>();
        /**
         * Counted down when a reader has asked for the body of a record that
         * {@link Fault#RECORD_BEFORE_BODY} stored without it, and been told there is none.
         */
        final CountDownLatch bodyMissed = new CountDownLatch(1);
        volatile Digest bodyless;
    }

    private final Data data;
    private final Fault fault;
    private final InstantSource clock;

    MemoryBackend(Data data, Fault fault, InstantSource clock) {
        this.data = data;
        this.fault = fault;
        this.clock = clock;
    }

    @Override
    public Optional<StoredOutput> find(Digest action) {
        return Optional.ofNullable(data.records.get(action));
    }

    @Override
    public Optional<InputStream> open(Digest output, long size) {
        byte[] stored = data.bodies.get(output);
        if (stored == null && output.equals(data.bodyless)) {
            // The reader has seen the record and now misses its body: only then may it arrive
            // (counting down at find() let the body land before the reader's open()).
            data.bodyMissed.countDown();
            return Optional.empty();
        }
        return Optional.ofNullable(stored).map(b -> {
            byte[] served = b.clone();
            if (fault == Fault.WRONG_BYTES && served.length > 0) {
                served[served.length - 1] ^= 1;
            }
            return new ByteArrayInputStream(served);
        });
    }

    @Override
    public void store(Digest action, Digest output, long size, Path file) throws IOException {
        byte[] body = Files.readAllBytes(file);
        StoredOutput record = new StoredOutput(output, size, clock.instant());
        switch (fault) {
            case RECORD_BEFORE_BODY -> {
                boolean first = data.bodyless == null;
                if (first) {
                    data.bodyless = output;
                }
                data.records.put(action, record);
                if (first) {
                    awaitReader();
                }
                data.bodies.put(output, body);
            }
            case KEEPS_FIRST_OUTPUT -> {
                data.bodies.put(output, body);
                data.records.putIfAbsent(action, record);
            }
            default -> {
                data.bodies.put(output, body);
                data.records.put(action, record);
            }
        }
    }

    private void awaitReader() throws IOException {
        try {
            // Bounded: a contract whose readers never look would otherwise hang here.
            data.bodyMissed.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a reader", e);
        }
    }

    @Override
    public void close() {
        // nothing held: the data outlives its instances, as a server's would
    }
}
