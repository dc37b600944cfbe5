package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;

/** Opens local stores. */
public final class H2Storage {
    private H2Storage() {
    }

    /**
     * Opens (creating if needed) the local store in {@code dir}, using the system clock.
     *
     * @throws IOException if the directory cannot be created or the index cannot be opened
     */
    public static LocalStore open(Path dir) throws IOException {
        return open(dir, InstantSource.system());
    }

    /** Opens the local store in {@code dir}, taking put and use times from {@code clock}. */
    public static LocalStore open(Path dir, InstantSource clock) throws IOException {
        return H2Store.open(dir.toAbsolutePath().normalize(), clock);
    }
}
