package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.SessionRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stores a long-lived process (the daemon) owns, by directory: for each, the {@link IndexHost}
 * (when no other process owned the store first) and one open {@link H2Store} that every session
 * shares, so a session neither connects to an index nor re-reads what the last one learnt.
 * A store stays open until a {@link #sweep} finds its directory deleted, a sweep of all closes
 * it, or the process ends.
 */
final class HostedStores {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    private static final Map<Path, IndexHost> HOSTS = new HashMap<>();
    private static final Map<Path, H2Store> SHARED = new HashMap<>();

    private HostedStores() {
    }

    /**
     * An embedded connection to the index of {@code dir}, taking ownership of the store if no
     * process has it; null if another process owns it (then the caller goes through its server).
     */
    static Connection connect(Path dir) throws SQLException {
        IndexHost host;
        synchronized (HOSTS) {
            host = HOSTS.get(dir);
            if (host != null && !host.storeExists()) {
                // deleted (and maybe made anew) since: the old index is not the store any more
                HOSTS.remove(dir);
                host.close();
                host = null;
            }
            if (host == null) {
                try {
                    host = IndexHost.acquire(dir, 0);
                } catch (IOException e) {
                    throw new SQLException("cannot own the index of " + dir + ": " + e.getMessage(), "08001",
                            org.h2.api.ErrorCode.CONNECTION_BROKEN_1, e);
                }
                if (host == null) {
                    return null;
                }
                HOSTS.put(dir, host);
                LOG.log(System.Logger.Level.DEBUG, () -> "owning the index of " + dir);
            }
        }
        return host.connect();
    }

    /**
     * The shared store of {@code root} (opened on first use), as a lease whose close leaves it
     * open; for a clock other than the system's (a test's shifted clock), a store of its own,
     * which its close closes.
     */
    static LocalStore lease(Path root, InstantSource clock) throws IOException {
        if (!InstantSource.system().equals(clock)) {
            return H2Store.open(root, clock); // a test's shifted clock: a store of its own
        }
        H2Store store;
        synchronized (SHARED) {
            store = SHARED.get(root);
            if (store != null && !store.onDisk()) {
                // The directory was deleted, maybe made anew, since the store was opened: the
                // open one serves a deleted index and blob directory. Open what is there now.
                SHARED.remove(root);
                store.close();
                store = null;
            }
            if (store == null) {
                store = H2Store.open(root, clock);
                SHARED.put(root, store);
            }
        }
        return new Lease(store);
    }

    /** The directories of the stores this process owns or shares now. */
    static List<Path> stores() {
        List<Path> all = new ArrayList<>();
        synchronized (SHARED) {
            all.addAll(SHARED.keySet());
        }
        synchronized (HOSTS) {
            for (Path p : HOSTS.keySet()) {
                if (!all.contains(p)) {
                    all.add(p);
                }
            }
        }
        return all;
    }

    /**
     * Closes the stores whose directory (or index file) has been deleted, and gives up owning
     * them. With {@code all}, closes every store (the process is about to end).
     *
     * @return how many stores remain open
     */
    static int sweep(boolean all) {
        List<H2Store> closing = new ArrayList<>();
        List<IndexHost> releasing = new ArrayList<>();
        int left;
        synchronized (SHARED) {
            SHARED.entrySet().removeIf(e -> {
                boolean gone = all || !e.getValue().onDisk();
                if (gone) {
                    closing.add(e.getValue());
                }
                return gone;
            });
            left = SHARED.size();
        }
        synchronized (HOSTS) {
            HOSTS.values().removeIf(h -> {
                boolean gone = all || !h.storeExists();
                if (gone) {
                    releasing.add(h);
                }
                return gone;
            });
            left = Math.max(left, HOSTS.size());
        }
        for (H2Store s : closing) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, () -> "closing " + s.root() + ": " + e.getMessage());
            }
        }
        for (IndexHost h : releasing) {
            LOG.log(System.Logger.Level.DEBUG, () -> "no longer owning " + h.dir());
            h.close();
        }
        return left;
    }

    /** A session's handle on a shared store: everything but close goes to the store. */
    private static final class Lease implements LocalStore {
        private final H2Store store;

        Lease(H2Store store) {
            this.store = store;
        }

        @Override
        public Optional<Entry> get(Digest action) throws IOException {
            return store.get(action);
        }

        @Override
        public Optional<Entry> getIfHot(Digest action) {
            return store.getIfHot(action);
        }

        @Override
        public Entry put(Digest action, Digest output, long size, InputStream body) throws IOException {
            return store.put(action, output, size, body);
        }

        @Override
        public Entry put(Digest action, StoredOutput record, InputStream body) throws IOException {
            return store.put(action, record, body);
        }

        @Override
        public void recordSession(SessionRecord session) throws IOException {
            store.recordSession(session);
        }

        @Override
        public Path root() {
            return store.root();
        }

        @Override
        public TrimResult trim(TrimSettings settings) throws IOException {
            return store.trim(settings);
        }

        @Override
        public Path putBlob(Digest output, long size, InputStream body) throws IOException {
            return store.putBlob(output, size, body);
        }

        @Override
        public Optional<Path> blob(Digest output) throws IOException {
            return store.blob(output);
        }

        @Override
        public boolean link(Digest action, Digest output, long size) throws IOException {
            return store.link(action, output, size);
        }

        @Override
        public boolean link(Digest action, StoredOutput record) throws IOException {
            return store.link(action, record);
        }

        @Override
        public Optional<TrimResult> lastTrim() throws IOException {
            return store.lastTrim();
        }

        @Override
        public StoreStats stats(int largest) throws IOException {
            return store.stats(largest);
        }

        @Override
        public VerifyResult verify(boolean repair) throws IOException {
            return store.verify(repair);
        }

        @Override
        public void close() {
            // the store stays open for the next session
        }
    }
}
