package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.Entry;
import dev.larder.storage.StoredOutput;
import dev.larder.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The local store, larder's default backend, with its upkeep: trimming to a budget, statistics,
 * and verifying every blob. Opened by {@link #open(Path)}; its implementations are private to
 * this package. Thread-safe, like {@link Storage}; any number of processes may open the same
 * directory and run upkeep while others serve gets and puts.
 */
public interface LocalStore extends Storage {
    /**
     * Opens (creating if needed) the local store in {@code dir}, using the system clock: as
     * {@link #open(Path, InstantSource)}, whose note on the background process it may start
     * applies here too.
     *
     * @throws IOException if the directory cannot be created or the index cannot be opened
     */
    static LocalStore open(Path dir) throws IOException {
        return open(dir, InstantSource.system());
    }

    /**
     * Opens (creating if needed) the local store in {@code dir}, taking put and use times from
     * {@code clock}.
     *
     * <p>The store is private to the user, whatever the umask: {@code dir} is made 0700, every
     * directory in it 0700 and every file 0600; a store directory open to group or others is
     * narrowed so, with everything in it, on open (one warning). A directory that has the
     * set-group-ID bit is a group store, shared by its group: directories 2770, files 0660,
     * {@code server.secret} 0640, nothing for others.
     *
     * <p>Opening may start a process that outlives the caller. One process at a time owns a
     * store's index; unless this process {@link #hostInProcess hosts} its stores, an open that
     * finds no owner starts an index server ({@link IndexServer}): a detached JVM, in a session
     * of its own (through {@code /usr/bin/setsid} where it exists) so that a Ctrl-C to the build
     * does not stop it, which listens on
     * a TCP port of 127.0.0.1 that the system picks, and writes {@code server.lock},
     * {@code server.properties} (its port and pid), {@code server.secret} (the index's password,
     * readable by the owner only, or by the group of a group store) and {@code server.log} (its
     * output) in {@code dir}, beside
     * {@code server.start} (the lock of the client starting it). It exits after
     * {@code $LARDER_SERVER_IDLE} seconds (default 600) without a client, or when {@code dir} or
     * its index is deleted. A process that hosts its stores starts no server: it owns the index
     * itself and listens on that loopback port in-process, with the same files. An index whose
     * password file is lost cannot be opened again: its owner moves it aside as
     * {@code index.mv.db.lost-MILLIS} and starts an empty one (the blobs stay, unnamed, until
     * {@code larder verify --repair}).
     *
     * @throws IOException if the directory cannot be created or the index cannot be opened
     */
    static LocalStore open(Path dir, InstantSource clock) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        return Hosting.on() ? HostedStores.lease(root, clock) : H2Store.open(root, clock);
    }

    /**
     * Whether {@code dir} holds a local store already (its index exists), without opening it or
     * starting anything: what upkeep commands, which never create a store, ask first.
     */
    static boolean exists(Path dir) {
        return Files.exists(dir.toAbsolutePath().normalize().resolve(IndexSchema.FILE));
    }

    /**
     * Makes this process own the stores it opens, for the rest of its life: what a long-lived
     * process serving many sessions (the daemon) calls once, at its start. From then on a store
     * is opened once and shared by every later {@link #open} (whose {@code close} leaves it open),
     * and its index is held in this process, served on loopback to other processes, instead of
     * being reached through another process's index server. If another process owns a store
     * already, this one uses that owner's server until it exits, then takes the store over.
     */
    static void hostInProcess() {
        Hosting.start();
    }

    /** The directories of the stores this process has open, when it {@link #hostInProcess hosts} them. */
    static List<Path> hosted() {
        return HostedStores.stores();
    }

    /**
     * Closes hosted stores whose directory or index has been deleted (all of them with
     * {@code all}) and gives up owning them.
     *
     * @return how many remain open
     */
    static int sweep(boolean all) {
        return HostedStores.sweep(all);
    }

    /** The store's directory (absolute). */
    Path root();

    /** The store's own directory, {@link #root()}: files kept there by clients do not disturb it. */
    @Override
    default Optional<Path> clientDirectory() {
        return Optional.of(root());
    }

    /**
     * Removes the blobs no entry has named for {@link TrimSettings#PROTECTED} (outputs a put
     * replaced, uploads no record named), then least-recently-used entries until the store fits
     * {@code settings}, never an entry used within {@link TrimSettings#PROTECTED} (cmd/go may
     * still be reading its file); a blob goes only when no entry names it any more. The size
     * budget counts every blob, unnamed ones too. Also removes what puts of dead processes left
     * in {@code tmp/}. Records the result, which {@link #stats} reports.
     */
    TrimResult trim(TrimSettings settings) throws IOException;

    /**
     * Stores a body by its own id, with no action naming it yet (a content-addressed upload),
     * verified as a put's body is.
     *
     * @return the blob's file
     * @throws dev.larder.storage.BodyMismatchException if the body is not {@code size} bytes or
     *                                                   does not hash to {@code output}
     */
    Path putBlob(Digest output, long size, InputStream body) throws IOException;

    /** The file of a stored, intact blob (hashed before its first use, as for a get), if any. */
    Optional<Path> blob(Digest output) throws IOException;

    /**
     * Names a stored blob as {@code action}'s output.
     *
     * @return false if the blob is not stored with {@code size} bytes (nothing changes)
     */
    boolean link(Digest action, Digest output, long size) throws IOException;

    /**
     * As {@link #link(Digest, Digest, long)} for {@code record}'s output, keeping the record as it
     * came: a signed record is handed on with its signature and signed time (a get returns it so).
     */
    boolean link(Digest action, StoredOutput record) throws IOException;

    /**
     * As {@link #put(Digest, Digest, long, InputStream)} for {@code record}'s output, keeping the
     * record as it came: a signed record is handed on with its signature and signed time.
     */
    @Override
    Entry put(Digest action, StoredOutput record, InputStream body) throws IOException;

    /** The most recent trim, if any (cheap: what auto-trim checks after every session). */
    Optional<TrimResult> lastTrim() throws IOException;

    /** Counts (unnamed blobs too), recent sessions' hit rate, the largest entries and the last trim. */
    StoreStats stats(int largest) throws IOException;

    /**
     * Re-hashes every blob the index names and looks for files no entry names (other than blobs
     * the index counts as unnamed, which are trim's); with {@code repair}, drops the entries of
     * bad blobs, the bad blobs, and leftover files.
     */
    VerifyResult verify(boolean repair) throws IOException;
}
