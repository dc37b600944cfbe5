package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded map of recently served index rows, least recently used dropped first. Thread-safe.
 * What makes a row safe to serve again is {@link H2Store}'s business; this only keeps them.
 */
final class HotRows {
    /** An entry as last served: its output, size, put and last-use times, and the stat its bytes were verified under. */
    record Row(Digest output, long size, long putNanos, long lastUseNanos, String verifiedStat) {
    }

    private final Map<Digest, Row> rows;

    HotRows(int capacity) {
        this.rows = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Digest, Row> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized Row get(Digest action) {
        return rows.get(action);
    }

    synchronized void put(Digest action, Row row) {
        rows.put(action, row);
    }

    synchronized void remove(Digest action) {
        rows.remove(action);
    }

    synchronized void clear() {
        rows.clear();
    }
}
