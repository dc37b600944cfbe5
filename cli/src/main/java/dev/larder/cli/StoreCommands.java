package dev.larder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the store upkeep commands share: finding an existing store, and printing JSON. */
final class StoreCommands {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private StoreCommands() {
    }

    /**
     * The store directory, which must already hold a store: upkeep commands do not create one.
     *
     * @throws IOException saying so, if there is none
     */
    static Path existing(Path dirOption) throws IOException {
        Path dir = StoreLocation.resolve(dirOption);
        if (!Files.exists(dir.resolve("index.mv.db"))) {
            throw new IOException("no store at " + dir + " (nothing has been cached there yet)");
        }
        return dir;
    }
}
