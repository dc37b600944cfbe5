package dev.larder.tracer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * What a path looks like now, as one kind of observation: the same function computes a value
 * when a run is recorded and again when a later run checks its preconditions, so the two compare
 * equal exactly when what the program looked at is unchanged.
 *
 * <p>Values: {@code missing}, {@code dir}, {@code file <sha256>} (content), {@code file <mode>
 * <sha256>} (stat), {@code file} (exists), {@code link <target>}, {@code list <sha256 of the sorted names>}, {@code ok} or
 * {@code errno <n>} (access), {@code char}, {@code fifo}, {@code socket}, {@code block}, or
 * {@code error <reason>} when the path could not be examined.
 */
final class Probe {
    /** What a syscall looked at. */
    enum Kind {
        /** Opened for reading or executed: its content (symlinks followed). */
        CONTENT,
        /**
         * stat: its type and permission bits, and a regular file's content (symlinks followed).
         * Content, because a program that only stats a file may still act on its timestamps
         * (make compares them): a changed file must be a miss, while a touched one may hit.
         */
        STAT,
        /** lstat or readlink: as STAT, but a symlink itself is seen (its target). */
        LSTAT,
        /** Whether it exists, and as what (lstat): for paths the run is about to create or remove. */
        EXISTS,
        /** getdents: the names in the directory, but those the run itself created or removed. */
        LIST,
        /** access(R_OK): whether the check succeeds. */
        ACCESS_R,
        /** access(W_OK). */
        ACCESS_W,
        /** access(X_OK). */
        ACCESS_X,
        /** access(F_OK). */
        ACCESS_F;

        static Kind access(long mode) {
            if ((mode & 4) != 0) {
                return ACCESS_R;
            }
            if ((mode & 2) != 0) {
                return ACCESS_W;
            }
            if ((mode & 1) != 0) {
                return ACCESS_X;
            }
            return ACCESS_F;
        }
    }

    private final FileHasher hasher;

    Probe(FileHasher hasher) {
        this.hasher = hasher;
    }

    FileHasher hasher() {
        return hasher;
    }

    /** The value of {@code kind} for {@code path} now; {@code except} only matters for LIST. */
    String value(String path, Kind kind, Collection<String> except) {
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            return "error " + e.getMessage();
        }
        try {
            switch (kind) {
                case CONTENT:
                    return content(p);
                case STAT:
                    return stat(p, false);
                case LSTAT:
                    return stat(p, true);
                case EXISTS:
                    return type(p, mode(p, true));
                case LIST:
                    return list(p, except);
                default:
                    int mode = kind == Kind.ACCESS_R ? 4 : kind == Kind.ACCESS_W ? 2 : kind == Kind.ACCESS_X ? 1 : 0;
                    int rc = Libc.faccessat(Syscalls.AT_FDCWD, path, mode, 0);
                    return rc == 0 ? "ok" : "errno " + com.sun.jna.Native.getLastError();
            }
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (FileSystemException e) {
            // ENOTDIR along the path is, to the program, the same as a missing file.
            String reason = e.getReason() == null ? "" : e.getReason();
            return reason.contains("Not a directory") ? "missing" : "error " + reason;
        } catch (IOException | RuntimeException e) {
            return "error " + e.getMessage();
        }
    }

    private String content(Path p) throws IOException {
        int mode = mode(p, false);
        return isFile(mode) ? "file " + hasher.hash(p) : type(p, mode);
    }

    private String stat(Path p, boolean noFollow) throws IOException {
        int mode = mode(p, noFollow);
        if (isFile(mode)) {
            return "file " + Integer.toOctalString(mode & 07777) + " " + hasher.hash(p);
        }
        return type(p, mode);
    }

    private static boolean isFile(int mode) {
        return (mode & 0170000) == 0100000;
    }

    /** The type part of a value, from st_mode's format bits. */
    private static String type(Path p, int mode) throws IOException {
        switch (mode & 0170000) {
            case 0100000:
                return "file";
            case 0040000:
                return "dir";
            case 0120000:
                return "link " + Files.readSymbolicLink(p);
            case 0020000:
                return "char";
            case 0060000:
                return "block";
            case 0010000:
                return "fifo";
            case 0140000:
                return "socket";
            default:
                return "other";
        }
    }

    /** st_mode (type and permission bits), one stat call. */
    static int mode(Path p, boolean noFollow) throws IOException {
        Object m = noFollow ? Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)
                : Files.getAttribute(p, "unix:mode");
        return (Integer) m;
    }

    /** The names in a directory (symlinks followed), sorted. */
    static List<String> names(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path e : ds) {
                names.add(e.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }

    private String list(Path p, Collection<String> except) throws IOException {
        int mode = mode(p, false);
        if ((mode & 0170000) != 0040000) {
            return stat(p, false);
        }
        return listValue(names(p), except);
    }

    /** The LIST value of {@code names} without {@code except}. */
    static String listValue(List<String> names, Collection<String> except) {
        MessageDigest md = DigestUtils.getSha256Digest();
        for (String n : names) {
            if (!except.contains(n)) {
                md.update(n.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
        }
        return "list " + HexFormat.of().formatHex(md.digest());
    }
}
