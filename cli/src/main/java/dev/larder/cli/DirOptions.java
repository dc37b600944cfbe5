package dev.larder.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the local store is: the picocli mixin of {@code --dir}, shared by every command that opens
 * the local store (helper, run, serve, stats, trim, verify), with {@link StoreLocation}'s defaults.
 */
final class DirOptions {
    @Option(names = "--dir", paramLabel = "DIR",
            description = "Store directory (default: $LARDER_DIR, $XDG_CACHE_HOME/larder, ~/.cache/larder).")
    private Path dir;

    /** The store directory, absolute: {@code --dir}, else the environment's default ({@link StoreLocation}). */
    Path resolve() {
        return StoreLocation.resolve(dir);
    }
}
