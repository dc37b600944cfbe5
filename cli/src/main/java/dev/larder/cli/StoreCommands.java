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
     * Opens the existing store named by {@code dirOption} (as for the helper), runs {@code work}
     * on it and closes it.
     *
     * @throws IOException if there is no store, or it cannot be opened or read
     */
    static <T> T withStore(Path dirOption, StoreWork<T> work) throws IOException {
        try (LocalStore store = LocalStore.open(existing(dirOption), StoreClock.get())) {
            return work.run(store);
        }
    }

    /**
     * The store directory, which must already hold a store: upkeep commands do not create one.
     *
     * @throws IOException saying so, if there is none
     */
    static Path existing(Path dirOption) throws IOException {
        Path dir = StoreLocation.resolve(dirOption);
        if (!LocalStore.exists(dir)) {
            throw new IOException("no store at " + dir + " (nothing has been cached there yet)");
        }
        return dir;
    }
}
