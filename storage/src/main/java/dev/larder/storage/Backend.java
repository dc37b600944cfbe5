package dev.larder.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One tier of a cache, as a {@link StorageProvider} opens it: a map from action ids to
 * {@link StoredOutput}s, and the bodies of those outputs by their ids.
 *
 * <p>A backend need not keep bodies in local files and need not be trusted: whoever reads a body
 * through {@link #open} checks its length and SHA-256 before using it, so a backend may hand out
 * whatever its server sent. Failures are {@link IOException}s; callers treat a failing far tier
 * as a miss. Implementations are thread-safe: the helper calls them from many threads at once.
 */
public interface Backend extends Closeable {
    /**
     * The output recorded for {@code action}, if any.
     *
     * @throws IOException if the backend cannot be asked (down, slow, answered garbage)
     */
    Optional<StoredOutput> find(Digest action) throws IOException;

    /**
     * Opens the body of {@code output} for reading, if the backend has it. The caller closes the
     * stream and verifies what it reads against {@code output} and {@code size}.
     *
     * @param size the length the caller expects, for backends that can use it (range checks)
     * @throws IOException if the backend cannot be asked
     */
    Optional<InputStream> open(Digest output, long size) throws IOException;

    /**
     * Stores the body in {@code file} (already verified: {@code size} bytes hashing to
     * {@code output}) as the output of {@code action}. The body is stored before the action names
     * it, so that no reader finds an action whose output is missing.
     *
     * @throws IOException if it cannot be stored (refused, down, full)
     */
    void store(Digest action, Digest output, long size, Path file) throws IOException;

    /**
     * Stores the body in {@code file} as the output of {@code action} under {@code record} as
     * given, its time and {@link StoredOutput#signature() signature} kept, so that a record
     * signed by its writer reads back signed ({@link #find}). The default keeps neither (it calls
     * {@link #store(Digest, Digest, long, Path)}): such a backend's records read back unsigned,
     * which a reader with trusted keys does not use.
     *
     * @throws IOException if it cannot be stored (refused, down, full)
     */
    default void store(Digest action, StoredOutput record, Path file) throws IOException {
        store(action, record.output(), record.size(), file);
    }

    /**
     * This backend as a {@link Storage} whose entries are local files, if it is one: larder's
     * local store ({@code h2:}) returns the {@code LocalStore} it was opened over. larder asks it only of the nearest tier, whose
     * files the helper hands to cmd/go and which is always a local store (that is decided from the
     * {@code --store} value alone, before anything is opened). Empty (the default) for every other
     * backend, plugins included.
     */
    default Optional<Storage> local() {
        return Optional.empty();
    }
}
