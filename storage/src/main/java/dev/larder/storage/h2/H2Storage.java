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
        Path root = dir.toAbsolutePath().normalize();
        return hosting ? HostedStores.lease(root, clock) : H2Store.open(root, clock);
    }

    private static volatile boolean hosting;

    /**
     * Makes this process own the stores it opens, for the rest of its life: what a long-lived
     * process serving many sessions (the daemon) calls once, at its start. From then on a store
     * is opened once and shared by every later {@link #open} (whose {@code close} leaves it open),
     * and its index is held in this process, served on loopback to other processes, instead of
     * being reached through another process's index server. If another process owns a store
     * already, this one uses that owner's server until it exits, then takes the store over.
     */
    public static void hostInProcess() {
        hosting = true;
    }

    static boolean hosting() {
        return hosting;
    }

    /** The directories of the stores this process has open, when it {@link #hostInProcess hosts} them. */
    public static java.util.List<Path> hosted() {
        return HostedStores.stores();
    }

    /**
     * Closes hosted stores whose directory or index has been deleted (all of them with
     * {@code all}) and gives up owning them.
     *
     * @return how many remain open
     */
    public static int sweep(boolean all) {
        return HostedStores.sweep(all);
    }
}
