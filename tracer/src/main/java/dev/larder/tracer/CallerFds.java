package dev.larder.tracer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The caller's descriptors above 2, which the command inherits as it would untraced (a
 * redirection such as {@code 3>side}, make's jobserver pipes), as {@code bin/larder} lists them in
 * {@link RunCache#CALLER_FDS}; every other descriptor of the JVM is closed for the command.
 */
final class CallerFds {
    private CallerFds() {
    }

    /** The descriptors listed in {@code spec} (a {@link RunCache#CALLER_FDS} value); bad entries are skipped. */
    static Set<Integer> of(String spec) {
        Set<Integer> fds = new HashSet<>();
        if (spec == null) {
            return fds;
        }
        for (String part : spec.split(",")) {
            try {
                int fd = Integer.parseInt(part.trim());
                if (fd > 2) {
                    fds.add(fd);
                }
            } catch (NumberFormatException e) {
                // Not a descriptor: nothing to keep.
            }
        }
        return fds;
    }

    /** The descriptors above 2 in {@code open} that are not the caller's, ascending. */
    static List<Integer> closable(Set<Integer> open, Set<Integer> caller) {
        return open.stream().filter(fd -> fd > 2 && !caller.contains(fd)).sorted().toList();
    }

    /**
     * The descriptors this process has open now (the listing's own one included: closing it in the
     * child is harmless, posix_spawn ignores EBADF for a close action); null if they cannot be listed.
     */
    static Set<Integer> open() {
        Set<Integer> fds = new HashSet<>();
        try (DirectoryStream<Path> ds =
                Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path e : ds) {
                fds.add(Integer.parseInt(e.getFileName().toString()));
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return fds;
    }

    /**
     * Why a run with the caller's descriptors {@code caller} cannot be cached, or null: one is a
     * regular file open for writing, whose writes a replay could not repeat. Pipes (make's
     * jobserver), sockets, terminals and read-only descriptors do not stop caching.
     */
    static String unreplayable(Set<Integer> caller) {
        for (int fd : caller.stream().sorted().toList()) {
            Path link = Path.of("/proc/self/fd/" + fd);
            try {
                if (Files.isRegularFile(link) && writable(Path.of("/proc/self/fdinfo/" + fd))) {
                    return "the command inherits descriptor " + fd + ", a file open for writing ("
                            + Files.readSymbolicLink(link) + ")";
                }
            } catch (IOException | RuntimeException e) {
                return "the command inherits descriptor " + fd + ", which cannot be inspected (" + e.getMessage() + ")";
            }
        }
        return null;
    }

    /** Whether the fdinfo file's flags have an access mode other than O_RDONLY. */
    private static boolean writable(Path fdinfo) throws IOException {
        for (String line : Files.readAllLines(fdinfo)) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring(6).trim(), 8) & 3) != 0;
            }
        }
        return false;
    }
}
