package dev.larder.storage.h2;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Who may read a store's files, and the modes that say so, whatever the process umask.
 *
 * <p>A store is <em>private</em> by default: its directory and every directory in it 0700, every
 * file 0600, so that other users of the machine read neither its blobs (an output {@code larder
 * run} recorded at 0600, say) nor its index (H2's Recover tool dumps an index file without its
 * password). A store whose directory has the set-group-ID bit is a <em>group store</em>, shared on
 * purpose by the users of that directory's group (someone made it so: {@code install -d -m 2770
 * -g TEAM DIR}): directories 2770, files 0660, and {@code server.secret} 0640 (the group needs the
 * index's password to reach it; it is written once). Others get no access to either kind.
 *
 * <p>A store directory open wider than its kind allows (group or others for a private store,
 * others for a group store: one made by an earlier larder under umask 022, say) is narrowed,
 * with everything in it, when the store is opened. Immutable and thread-safe.
 */
final class StoreAccess {
    private static final System.Logger LOG = System.getLogger("dev.larder.storage");
    private static final int SETGID = 02000;
    private static final int PERMISSIONS = 0777;

    private final boolean group;

    private StoreAccess(boolean group) {
        this.group = group;
    }

    /**
     * The access of the store in {@code root} (an existing directory), as its mode says: one
     * stat, nothing changed.
     */
    static StoreAccess of(Path root) throws IOException {
        return new StoreAccess((mode(root.toRealPath()) & SETGID) != 0);
    }

    /**
     * Creates {@code root} if it is missing (private: 0700, past the umask) and returns its
     * access. If {@code root} is this user's and open wider than its kind allows, narrows it and
     * everything in it (a store made before stores were private), saying so once on the log when
     * it held a store already; a file of another user's it cannot change is left as it is.
     */
    static StoreAccess prepare(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            if (root.getParent() != null) {
                Files.createDirectories(root.getParent());
            }
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // another process made it just now: judged below like any other
            }
        }
        Path dir = root.toRealPath(); // the directory, if root is a link to it (to a bigger disk, say)
        int mode = mode(dir);
        StoreAccess access = new StoreAccess((mode & SETGID) != 0);
        int tooOpen = access.group ? 0007 : 0077;
        // Only the directory's owner narrows it: another user's store (opened read-only, say) is
        // not ours to change.
        if ((mode & tooOpen) != 0 && ownedByThisUser(dir)) {
            boolean hadStore = Files.exists(dir.resolve(IndexSchema.FILE));
            int changed = narrow(dir, tooOpen);
            if (hadStore) {
                LOG.log(System.Logger.Level.WARNING, "store " + root + " was open to "
                        + (access.group ? "others" : "group and others") + String.format(" (mode %04o)", mode & 07777)
                        + ": made it " + (access.group ? "open to its group only" : "private") + " ("
                        + changed + " files and directories changed)");
            }
        }
        return access;
    }

    private static boolean ownedByThisUser(Path p) throws IOException {
        // /proc/self belongs to the process's effective uid.
        return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)
                .equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    }

    /**
     * Creates the directory {@code dir} (its parent exists) with the store's directory mode, past
     * the umask; nothing if it exists.
     */
    void createDirectory(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        try {
            Files.createDirectory(dir, attribute(group ? "rwxrwx---" : "rwx------"));
        } catch (FileAlreadyExistsException raced) {
            return; // made by another put just now
        }
        if (group) {
            setMode(dir, 02770);
        }
    }

    /** Creates the new file {@code file} with the store's file mode, past the umask. */
    void createFile(Path file) throws IOException {
        Files.createFile(file, attribute(fileMode()));
        if (group) {
            setMode(file, 0660);
        }
    }

    /**
     * Opens {@code file} for writing (a lock file), creating it with the store's file mode if it
     * is missing.
     */
    FileChannel openLockFile(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                attribute(fileMode()));
        if (group) {
            setModeIfOwn(file, 0660);
        }
        return ch;
    }

    /**
     * A new temp file in {@code dir} with the store's mode for {@code server.secret} if
     * {@code secret}, else its file mode.
     */
    Path createTempFile(Path dir, String prefix, boolean secret) throws IOException {
        Path tmp = Files.createTempFile(dir, prefix, ".tmp", attribute(secret ? "rw-------" : fileMode()));
        if (group) {
            setMode(tmp, secret ? 0640 : 0660);
        }
        return tmp;
    }

    /**
     * Gives a file of the store that this process's user made (the index, which H2 creates under
     * the umask, or {@code server.secret} with {@code secret}) the store's mode for it; a missing
     * file or one of another user's is left as it is.
     */
    void setFileMode(Path file, boolean secret) throws IOException {
        setModeIfOwn(file, secret ? (group ? 0640 : 0600) : (group ? 0660 : 0600));
    }

    private String fileMode() {
        return group ? "rw-rw----" : "rw-------";
    }

    private static FileAttribute<Set<PosixFilePermission>> attribute(String permissions) {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions));
    }

    private static void setModeIfOwn(Path file, int mode) throws IOException {
        try {
            if ((mode(file) & 07777) != mode) {
                setMode(file, mode);
            }
        } catch (java.nio.file.NoSuchFileException | AccessDeniedException gone) {
            // gone, or another user's (who made it with this mode)
        } catch (FileSystemException e) {
            if (!"Operation not permitted".equals(e.getReason())) {
                throw e;
            }
        }
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    private static void setMode(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    /** Takes the bits {@code tooOpen} from {@code root} and everything in it (not following links); how many changed. */
    private static int narrow(Path root, int tooOpen) {
        int[] changed = {0};
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> !Files.isSymbolicLink(p)).forEach(p -> {
                try {
                    int m = mode(p) & 07777;
                    if ((m & tooOpen & PERMISSIONS) != 0) {
                        setModeIfOwn(p, m & ~tooOpen);
                        changed[0]++;
                    }
                } catch (IOException e) {
                    // vanished meanwhile (a temp file), or not ours: the rest still narrows
                    LOG.log(System.Logger.Level.DEBUG, () -> "cannot narrow " + p + ": " + e.getMessage());
                }
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            // A directory that vanished under the walk (another process's cleaning): the store's
            // own directory, narrowed first, already keeps others out of the rest.
            LOG.log(System.Logger.Level.DEBUG, () -> "narrowing " + root + ": " + e.getMessage());
        }
        return changed[0];
    }
}
