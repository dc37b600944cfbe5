package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded map of recently served index rows (each with the stat its blob's bytes were verified
 * under), least recently used dropped first. Thread-safe. What makes a row safe to serve again is
 * {@link H2Store}'s business; this only keeps them.
 */
final class HotRows {
    private final Map<Digest, EntryRow> rows;

    HotRows(int capacity) {
        this.rows = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Digest, EntryRow> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized EntryRow get(Digest action) {
        return rows.get(action);
    }

    synchronized void put(Digest action, EntryRow row) {
        rows.put(action, row);
    }

    synchronized void remove(Digest action) {
        rows.remove(action);
    }

    synchronized void clear() {
        rows.clear();
    }
}
