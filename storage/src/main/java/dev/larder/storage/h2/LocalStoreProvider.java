package dev.larder.storage.h2;

import dev.larder.storage.Backend;
import dev.larder.storage.BackendContext;
import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.Storage;
import dev.larder.storage.StorageProvider;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * Opens {@code h2:PATH} stores: the local store in directory PATH (relative to the working
 * directory; a leading {@code ~/} is the home directory), created on first use, as
 * {@link LocalStore#open(Path, java.time.InstantSource)} opens it (which may start an index
 * server). The backend it returns is the nearest tier's store ({@link Backend#local()}) or a far
 * tier.
 */
public final class LocalStoreProvider implements StorageProvider {
    @Override
    public Set<String> schemes() {
        return Set.of("h2");
    }

    @Override
    public Backend open(URI uri, BackendContext context) throws IOException {
        return new LocalBackend(LocalStore.open(path(uri), context.clock()));
    }

    @Override
    public void validate(URI uri) {
        path(uri);
    }

    /**
     * The directory an {@code h2:} URI names.
     *
     * @throws IllegalArgumentException if it names none
     */
    public static Path path(URI uri) {
        String p = uri.getSchemeSpecificPart();
        if (p == null || p.isEmpty()) {
            throw new IllegalArgumentException(uri + ": no directory; want h2:PATH");
        }
        if (p.startsWith("//")) {
            // h2:///abs/path, the "file:" habit: an empty authority.
            p = p.substring(2);
        }
        if (p.equals("~") || p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        return Path.of(p).toAbsolutePath().normalize();
    }

    /** A local store seen as a tier: the nearest one (through {@link #local()}) or a far one. */
    private static final class LocalBackend implements Backend {
        private final LocalStore store;

        LocalBackend(LocalStore store) {
            this.store = store;
        }

        @Override
        public Optional<StoredOutput> find(Digest action) throws IOException {
            return store.get(action).map(Entry::record);
        }

        @Override
        public Optional<InputStream> open(Digest output, long size) throws IOException {
            Optional<Path> blob = store.blob(output);
            if (blob.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(Files.newInputStream(blob.get()));
            } catch (NoSuchFileException e) {
                // trimmed by another process since blob() looked
                return Optional.empty();
            }
        }

        @Override
        public void store(Digest action, Digest output, long size, Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                store.put(action, output, size, in);
            }
        }

        /** {@inheritDoc} A signed record keeps its signature and signed time. */
        @Override
        public void store(Digest action, StoredOutput record, Path file) throws IOException {
            try (InputStream in = Files.newInputStream(file)) {
                store.put(action, record, in);
            }
        }

        @Override
        public Optional<Storage> local() {
            return Optional.of(store);
        }

        @Override
        public void close() throws IOException {
            store.close();
        }
    }
}
