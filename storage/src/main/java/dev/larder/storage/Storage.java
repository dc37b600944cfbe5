package dev.larder.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A cache of action outputs: for each action id, at most one output, held in a local file.
 *
 * <p>Implementations are thread-safe: the helper calls {@link #get} and {@link #put} from many
 * threads at once. A put either stores the whole, verified body or nothing: no reader, in this
 * process or another, ever sees a partial or unverified output.
 *
 * <p>The {@link Entry#path() path} of an entry a caller has been given keeps existing with the
 * same bytes, after {@link #close()} and after the process exits, until the store drops it,
 * which it does only in these cases:
 * <ul>
 *   <li>a trim removes the entry (the local store never removes one used within the last hour,
 *       {@code TrimSettings.PROTECTED});
 *   <li>a put of the same action with another output replaces the entry: the old output's file is
 *       deleted by that put if no other entry names it and the replaced entry was last used more
 *       than an hour ago ({@code TrimSettings.PROTECTED} again); one used within the hour stays,
 *       counted as unnamed, until a trim at least an hour after the put removes it;
 *   <li>a get, the local store's background check of a freshly put file, or
 *       {@code larder verify --repair} finds the file damaged: the get is a miss and every entry
 *       naming the output is dropped; a file whose bytes no longer hash to the output id is
 *       deleted too, while a file of another length than recorded is left (only its entries go)
 *       and the next put of that output writes the file afresh.
 * </ul>
 * One exception: a store whose nearest tier is read-only ({@code readonly:h2:…}) hands out far
 * hits and puts as temporary files, deleted when it is closed.
 */
public interface Storage extends Closeable {
    /**
     * Looks up an action.
     *
     * @return the entry, or empty if the action is unknown or its output is no longer intact
     * @throws IOException if the store cannot be read at all
     */
    Optional<Entry> get(Digest action) throws IOException;

    /**
     * A {@link #get} answered only if it can be at once, without the index, a far tier, a hash
     * or a lock that other requests hold for long: for a local store, a recent hit whose blob's
     * stat is still the one its bytes were verified under (a stat, no more). What it returns is
     * what {@link #get} would. Empty means "not known at once" (call {@link #get}), never a miss.
     * Callers may run it on a thread that must not wait, such as the one reading requests.
     * The default answers nothing at once.
     */
    default Optional<Entry> getIfHot(Digest action) {
        return Optional.empty();
    }

    /**
     * Stores {@code body} as the output of {@code action}, replacing any earlier output. Reads
     * the body to its end (or until it proves longer than {@code size}); does not close it.
     *
     * @param size the declared length of the body in bytes
     * @return the stored entry, whose path holds the body's bytes
     * @throws BodyMismatchException if the body is not {@code size} bytes long or does not hash
     *                               (SHA-256) to {@code output}; nothing is stored
     * @throws IOException           if the body cannot be read or the store cannot be written
     *                               (a full disk); nothing is stored
     */
    Entry put(Digest action, Digest output, long size, InputStream body) throws IOException;

    /**
     * As {@link #put(Digest, Digest, long, InputStream)} for {@code record}'s output; a store that
     * keeps signatures (the local store) keeps {@code record}'s signature and signed time, so the
     * record is handed on as it came. The default keeps neither.
     */
    default Entry put(Digest action, StoredOutput record, InputStream body) throws IOException {
        return put(action, record.output(), record.size(), body);
    }

    /**
     * Notes a finished session's counters, for stores that report hit rates over recent sessions;
     * the default keeps nothing. Called once per session, after the session's last reply.
     *
     * @throws IOException if the store cannot be written
     */
    default void recordSession(SessionRecord session) throws IOException {
        // a store without statistics has nothing to keep
    }

    /**
     * Finishes work the store does in the background for this session, such as uploads to far
     * tiers, waiting at most as long as the store was configured to; the default has none. The
     * helper calls it before it answers {@code close}, so that a build's outputs are shared by
     * the time the build is over.
     *
     * @throws IOException if waiting was interrupted
     */
    default void flush() throws IOException {
        // nothing runs in the background
    }

    /**
     * The store's own counters for this session (remote hits, upload failures, ...), for the
     * helper's statistics; the default, a store without far tiers, reports {@link TierCounters#NONE}.
     */
    default TierCounters counters() {
        return TierCounters.NONE;
    }

    /**
     * A directory of this store's own, on local disk, where its clients may keep small files of
     * their own (the tiers keep each working directory's prefetch list there), if it has one. The
     * store never reads or removes what they put there; it goes when the store's directory is
     * deleted. Empty (the default) for a store that is not on local disk.
     */
    default Optional<Path> clientDirectory() {
        return Optional.empty();
    }

    /**
     * Releases the store's resources. Entries already returned stay valid (as the class
     * documentation says); waits for puts in progress on other threads to finish or fail.
     */
    @Override
    void close() throws IOException;
}
