package dev.larder.storage.h2;

import dev.larder.storage.Backend;
import dev.larder.storage.Digest;
import dev.larder.storage.Storage;
import dev.larder.storage.StoredOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/** A local store seen as a tier: the nearest one (through {@link #local()}) or a far one. */
final class H2Backend implements Backend {
    private final LocalStore store;

    H2Backend(LocalStore store) {
        this.store = store;
    }

    @Override
    public Optional<StoredOutput> find(Digest action) throws IOException {
        return store.get(action).map(e -> new StoredOutput(e.output(), e.size(), e.time()));
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

    @Override
    public Optional<Storage> local() {
        return Optional.of(store);
    }

    @Override
    public void close() throws IOException {
        store.close();
    }
}
