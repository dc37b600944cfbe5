package dev.larder.storage.h2;

import dev.larder.storage.Digest;
import dev.larder.storage.VerifiedCopy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one store: blobs under {@code blobs/ab/abcd...}, bodies being received in
 * {@code tmp/}. Receives a body into a verified, fsynced temp file and renames it into place;
 * which changes to a blob file are allowed when is {@link BlobLocks}'s business, not this class's.
 * Thread-safe (it keeps no state but its directories and clock).
 */
final class BlobFiles {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    /** A temp file this old was left by a process that died mid-put. */
    static final Duration STALE_TEMP = Duration.ofHours(1);
    private static final long PID = ProcessHandle.current().pid();
    /**
     * {@code put-<pid>-<random>.tmp}, and its {@code .link} while it is being placed: the pid of
     * the process receiving the body.
     */
    private static final Pattern TEMP_NAME = Pattern.compile("put-(\\d+)-[0-9a-f]+\\.tmp(\\.link)?");

    private final Path blobs;
    private final Path tmp;
    private final InstantSource clock;
    private final StoreAccess access;

    private BlobFiles(Path root, InstantSource clock, StoreAccess access) {
        this.blobs = root.resolve("blobs");
        this.tmp = root.resolve("tmp");
        this.clock = clock;
        this.access = access;
    }

    /**
     * The files of the store in {@code root}, creating its directories if need be, with the
     * store's modes ({@link StoreAccess#prepare}: private unless {@code root} is a group store,
     * and narrowed if it is open wider). File times are the real clock's, whatever clock the
     * store puts in its index: {@code clock} is the one they are compared with (the system clock
     * but in tests of the freshness rule).
     *
     * @throws IOException saying why a directory cannot be created
     */
    static BlobFiles create(Path root, InstantSource clock) throws IOException {
        try {
            StoreAccess access = StoreAccess.prepare(root);
            BlobFiles f = new BlobFiles(root, clock, access);
            access.createDirectory(f.blobs);
            access.createDirectory(f.tmp);
            return f;
        } catch (IOException e) {
            throw new IOException("cannot create store directory " + root + ": " + describe(e), e);
        }
    }

    /** The file of {@code output}'s blob (which may not exist). */
    Path blobPath(Digest output) {
        String hex = output.toString();
        return blobs.resolve(hex.substring(0, 2)).resolve(hex);
    }

    /** The stat of {@code file} now, or null if it is missing or not a regular file. */
    BlobStat stat(Path file) {
        return BlobStat.of(file, clock);
    }

    /** The time file times are compared with. */
    InstantSource clock() {
        return clock;
    }

    Path blobsDir() {
        return blobs;
    }

    Path tmpDir() {
        return tmp;
    }

    /**
     * Receives {@code body} into a new temp file, verified ({@link VerifiedCopy}: failures read
     * {@code put body: got 12 bytes, declared 40}) and fsynced. The caller deletes the file.
     *
     * @return the temp file
     * @throws dev.larder.storage.BodyMismatchException if the body is not {@code size} bytes
     *                                                   hashing to {@code output} (no file is left)
     */
    Path receive(InputStream body, Digest output, long size) throws IOException {
        Path temp = newTempFile();
        VerifiedCopy.to(temp, body, size, output, "put body");
        return temp;
    }

    /**
     * Makes {@code temp} the file of {@code output}'s blob, replacing whatever file had the name
     * (readers of the old file keep their open inode), and makes the rename durable. {@code temp}
     * stays, so that a retried transaction can place it again.
     */
    void place(Path temp, Digest output) throws IOException {
        Path blob = blobPath(output);
        access.createDirectory(blob.getParent());
        Path link = temp.resolveSibling(temp.getFileName() + ".link");
        Files.deleteIfExists(link);
        Files.createLink(link, temp);
        try {
            Files.move(link, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("store needs " + link.getParent() + " and " + blob.getParent()
                    + " on one file system: " + e.getMessage(), e);
        } finally {
            // rename(2) of a name onto another link of the same inode does nothing and leaves both
            // names (POSIX): a transaction run again after the index connection broke places the
            // same temp a second time, onto the blob its first run made, and its link would stay.
            Files.deleteIfExists(link);
        }
        syncDirectory(blob.getParent());
    }

    private static void syncDirectory(Path dir) {
        // Makes the rename itself durable; some file systems refuse to fsync a directory, and
        // the index row written after it is what the next process trusts, so a failure is benign.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // see above
        }
    }

    /**
     * Creates an empty file in {@code tmp/} with a fresh name and the store's file mode (0600, or
     * 0660 in a group store: {@link StoreAccess}), which the blob it becomes keeps.
     */
    private Path newTempFile() throws IOException {
        while (true) {
            Path p = tmp.resolve("put-" + PID + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                access.createFile(p);
                return p;
            } catch (FileAlreadyExistsException taken) {
                // another put drew the same name: draw again
            }
        }
    }

    /** Whether a file in {@code tmp/} is left by a put that will never finish: its writer is gone, or it is older than {@code grace}. */
    boolean abandoned(Path temp, Duration grace) throws IOException {
        return ownerGone(temp) || Files.getLastModifiedTime(temp).toInstant().isBefore(clock.instant().minus(grace));
    }

    /** Removes what puts that never finished left in {@code tmp/}; best effort. */
    void removeStaleTemps() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                try {
                    if (abandoned(p, STALE_TEMP)) {
                        Files.deleteIfExists(p);
                    }
                } catch (NoSuchFileException raced) {
                    // another process cleaned it first
                } catch (IOException e) {
                    // not ours to remove (a directory, say): leave it and clean the rest
                    LOG.log(System.Logger.Level.DEBUG, () -> "cannot remove stale " + p + ": " + e.getMessage());
                }
            }
        } catch (IOException ignored) {
            // cleaning is best effort; the next open tries again
        }
    }

    /**
     * Whether the temp file was left by a process that no longer runs (killed in the middle of a
     * put). Files of processes this one cannot see (another PID namespace) are left to the age
     * rule.
     */
    private static boolean ownerGone(Path temp) {
        Matcher m = TEMP_NAME.matcher(temp.getFileName().toString());
        if (!m.matches()) {
            return false;
        }
        long pid;
        try {
            pid = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return false;
        }
        return pid != PID && ProcessHandle.of(pid).isEmpty();
    }

    /**
     * Why {@code createDirectories} failed, as {@code FILE: reason}. The JDK's exceptions without
     * a reason name only the file; the reasons given them here are the words the cli's last-resort
     * wording ({@code dev.larder.cli.Main}) gives the same exceptions when they reach it unworded
     * (storage cannot call the cli, and the cli leaves this message as it is).
     */
    private static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() == null) {
            String why = e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    : e.getClass().getSimpleName();
            return e.getMessage() + ": " + why;
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
