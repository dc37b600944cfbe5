package dev.larder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.larder.storage.h2.LocalStore;
import java.io.IOException;
import java.nio.file.Path;

/** What the store upkeep commands share: finding an existing store, and printing JSON. */
final class StoreCommands {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StoreCommands() {
    }

    /** What an upkeep command does with the store. */
    @FunctionalInterface
    interface StoreWork<T> {
        T run(LocalStore store) throws IOException;
    }

    /**
     * Opens the existing store in {@code dir} (as {@link DirOptions#resolve} names it), runs
     * {@code work} on it and closes it.
     *
     * @throws IOException if there is no store, or it cannot be opened or read
     */
    static <T> T withStore(Path dir, StoreWork<T> work) throws IOException {
        try (LocalStore store = LocalStore.open(existing(dir), StoreClock.get())) {
            return work.run(store);
        }
    }

    /**
     * {@code dir}, which must already hold a store: upkeep commands do not create one.
     *
     * @throws IOException saying so, if there is none
     */
    static Path existing(Path dir) throws IOException {
        if (!LocalStore.exists(dir)) {
            throw new IOException("no store at " + dir + " (nothing has been cached there yet)");
        }
        return dir;
    }
}
